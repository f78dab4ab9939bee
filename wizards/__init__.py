from . import classification_preview_wizard
from . import partner_classification_wizard
from . import classification_import_wizard
from . import classification_coding_wizard
from . import classification_strategy_try_wizard
from . import product_classification_wizard
