"""Account authenticity signals: automation, amplification and persona inconsistency.

`assess_accounts` computes behaviour and profile features, scores profiles with the shipped
calibrated model and flags accounts with evidence (`infoscope.authenticity.assess`);
`behaviour` and `profile` hold the features, `profile` the model and its training.
"""

from infoscope.authenticity.assess import (
    AccountsRun,
    Thresholds,
    assess_accounts,
    explain_account,
    latest_run_id,
)

__all__ = ["AccountsRun", "Thresholds", "assess_accounts", "explain_account", "latest_run_id"]
