"""Run pytest with pytest-odoo, importing Odoo's test framework in test mode.

pytest-odoo imports odoo.tests before Odoo's configuration says it is testing, and
Odoo then logs an error with a stack trace meant for business code importing the
test framework by mistake. Importing it first, in test mode, keeps the output to
what the tests say. Passing --test-enable to Odoo instead would make the registry
run every installed module's at_install tests on load.
"""

import sys

import pytest

import odoo

odoo.tools.config["test_enable"] = True
import odoo.tests  # noqa: E402

odoo.tools.config["test_enable"] = False

sys.exit(pytest.main(sys.argv[1:]))
