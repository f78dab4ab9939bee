from . import partner_classification_wizard
