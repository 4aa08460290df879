/*
 * recon.c - what every part of reconciliation shares: the names of break
 * kinds and statuses, and which partners and ledgers are matched item by item.
 */
#include "recon.h"

static const char *const kind_names[RK_COUNT] = {
    "missing_in_ledger", "missing_in_partner", "amount_mismatch",
    "type_mismatch",     "currency_mismatch",  "day_shift",
};

const char *recon_kind_name(recon_kind k)
{
    return (unsigned)k < RK_COUNT ? kind_names[k] : NULL;
}

const char *recon_status_name(recon_status s)
{
    static const char *const names[] = {"clean", "within_tolerance", "waiting", "held"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "clean";
}

bool recon_ledger_wanted(const settle_config *cfg, size_t li, size_t pi)
{
    const partner_config *pc = &cfg->partners[pi];
    for (size_t i = 0; i < pc->n_reconcile; i++)
        if (pc->reconcile[i].ledger_index == li && pc->reconcile[i].match == MATCH_TRANSACTION)
            return true;
    return false;
}

bool recon_partner_wanted(const settle_config *cfg, size_t pi)
{
    for (size_t li = 0; li < cfg->n_ledgers; li++)
        if (recon_ledger_wanted(cfg, li, pi))
            return true;
    return false;
}
