from . import test_foundation
from . import test_customer_classification
from . import test_invoice_basis
from . import test_ui
