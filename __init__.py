from . import models, wizards


def post_init_hook(env):
    env["res.company"].search([])._cpc_create_default_tiers()
    # Existing orders and partners are classified now, in the background, not
    # at the first nightly run.
    env["res.company"]._cpc_start_background_runs()


def uninstall_hook(env):
    # The fields schemes created on customers and products go with the addon.
    env["ir.model.fields"].search(
        [("name", "=like", "x_cpc_scheme%"), ("state", "=", "manual")]
    ).unlink()
    # The numberings of coding rules go with them.
    env["ir.sequence"].search([("code", "=like", "cpc.coding.%")]).unlink()
