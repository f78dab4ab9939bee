from . import partner_rfm_segment
from . import partner_rfm_cell
from . import partner_value_tier
from . import partner_classification
from . import partner_classification_history
from . import res_company
from . import res_config_settings
from . import res_partner
