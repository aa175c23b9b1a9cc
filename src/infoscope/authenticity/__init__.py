"""Account authenticity signals: automation, amplification and persona inconsistency.

`run_accounts` computes behaviour and profile features, scores profiles with the shipped
calibrated model and flags accounts with evidence (`infoscope.authenticity.assess`);
`behaviour` and `profile` hold the features, `profile` the model, `train` its training and
cross-validation; `view` its report section, `evaluate` its scenario evaluator and `tables` its
table definitions.
"""

from infoscope.authenticity.assess import (
    AccountsRun,
    Thresholds,
    explain_account,
    load_accounts,
    run_accounts,
)

__all__ = ["AccountsRun", "Thresholds", "explain_account", "load_accounts", "run_accounts"]
