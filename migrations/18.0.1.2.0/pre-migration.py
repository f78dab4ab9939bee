# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).

# The coding models' company rules moved from no-update data to security/: an
# upgraded database would otherwise keep them frozen as first installed.
MOVED_RULES = (
    "classification_coding_rule_rule_company",
    "classification_coding_part_rule_company",
    "classification_code_history_rule_company",
    "classification_coding_job_rule_company",
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE ir_model_data
           SET noupdate = FALSE
         WHERE module = 'customer_product_classification'
           AND name IN %s
        """,
        (MOVED_RULES,),
    )
