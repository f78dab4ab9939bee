from . import test_foundation
from . import test_customer_classification
from . import test_invoice_basis
from . import test_ui
from . import test_classification_schemes
from . import test_classification_import
from . import test_security_schemes
