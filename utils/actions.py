# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Client actions the addon's buttons return (plain dicts, no Odoo import)."""

CLOSE_DIALOG = {"type": "ir.actions.act_window_close"}
RELOAD_VIEW = {"type": "ir.actions.client", "tag": "soft_reload"}


def success_notification(message, then=None):
    """A green notification; then, unless told otherwise, close the dialog."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "type": "success",
            "message": message,
            "next": dict(then or CLOSE_DIALOG),
        },
    }


def reopen_dialog(record, name=None):
    """Show a wizard again, in its dialog, after a step."""
    action = {
        "type": "ir.actions.act_window",
        "res_model": record._name,
        "res_id": record.id,
        "view_mode": "form",
        "target": "new",
    }
    if name:
        action["name"] = name
    return action
