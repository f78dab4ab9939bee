from . import models, wizards


def post_init_hook(env):
    env["res.company"].search([])._cpc_create_default_tiers()
