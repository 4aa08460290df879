---@meta
-- settle.d.lua - definitions of the settle rule API for the Lua Language
-- Server (LuaLS): completion, hover and type checks for rule files in an
-- editor. settle never loads this file; it only describes what the engine
-- gives a rule (docs/rule-api.md is the reference). rules/.luarc.json points
-- the language server at it.
--
-- Annotate a rule's functions to get typed `p` and `params`:
--
--   return {
--     ---@param p settle.Period
--     ---@param params settle.Params
--     ---@return settle.Statement
--     settle = function(p, params) ... end,
--   }
--
-- The sandbox has no io, os, package/require, debug, load, loadfile, dofile,
-- collectgarbage, coroutine, string.dump, math.random or math.randomseed.

-- ---- values --------------------------------------------------------------

---Money: an integer count of minor units of the settlement currency (cents
---for EUR, won for KRW). `123450` is 1234.50 EUR. Never a float.
---@alias settle.Money integer

---A rate as exact decimal text: a percentage `"12.5%"` or a decimal `"0.035"`
---(at most 18 decimals). Params and `tax.rate` give rates in this form.
---@alias settle.Rate string

---A date `"YYYY-MM-DD"`, e.g. `p.first_day`, `p.last_day`.
---@alias settle.Date string

---A rounding mode; `"half_even"` is the default everywhere.
---@alias settle.Rounding
---| "half_even" # ties to the even neighbour (banker's rounding)
---| "half_up"   # ties away from zero
---| "down"      # toward zero
---| "up"        # away from zero
---| "floor"     # toward negative infinity
---| "ceiling"   # toward positive infinity

---A canonical transaction type.
---@alias settle.TxType
---| "bet"                  # stake taken
---| "win"                  # payout
---| "refund"               # stake returned, cancels a bet
---| "win_reversal"         # payout taken back
---| "bonus"                # operator-funded stake, e.g. a free spin
---| "jackpot_contribution" # money set aside for a jackpot pool
---| "jackpot_win"          # jackpot paid out
---| "purchase"             # credit bought from a supplier
---| "adjustment"           # manual correction

-- ---- p: the period being settled -------------------------------------------

---One value per canonical type; every type is present (0 when none).
---@class settle.ByType
---@field bet integer
---@field win integer
---@field refund integer
---@field win_reversal integer
---@field bonus integer
---@field jackpot_contribution integer
---@field jackpot_win integer
---@field purchase integer
---@field adjustment integer

---Sums of a period or of one slice of it (a category, game or day).
---@class settle.Sums
---@field total settle.ByType sum of each type, in minor units (`p.total.bet`)
---@field count settle.ByType number of transactions of each type (`p.count.bet`)
---@field ggr settle.Money (bet - refund) - (win - win_reversal)
---@field transactions integer number of transactions of all types
---@field bets settle.Money same as `total.bet`
---@field wins settle.Money same as `total.win`

---Sums in one source currency, exact and unconverted, in THAT currency's minor units.
---@class settle.CurrencySums: settle.Sums
---@field exponent integer minor-unit digits of that currency (USD 2, KRW 0)

---An FX rate that was applied to convert one business day.
---@class settle.FxRate
---@field day settle.Date business day converted
---@field rate_date settle.Date date of the rate used (latest on or before `day`)
---@field base string source currency, e.g. "USD"
---@field quote string settlement currency, e.g. "EUR"
---@field rate string the rate as text, e.g. "0.9091"

---`p`, the first argument of `settle`: one partner's statement period. All
---amounts are integers in minor units of the settlement currency, except
---`by_currency`.
---@class settle.ReconSum
---@field count integer number of items (breaks: of breaks)
---@field amount settle.Money summed in the settlement currency

---@class settle.ReconBreaks
---@field missing_in_ledger settle.ReconSum
---@field missing_in_partner settle.ReconSum
---@field amount_mismatch settle.ReconSum
---@field type_mismatch settle.ReconSum
---@field currency_mismatch settle.ReconSum
---@field day_shift settle.ReconSum

--- The period's reconciliation with one ledger (docs/reconciliation.md section 3).
---@class settle.Reconciliation
---@field ledger string ledger id from settle.yaml
---@field match "transaction"|"daily"
---@field matched settle.ReconSum items matched (amount: the partner's)
---@field breaks settle.ReconBreaks every kind, zero when none
---@field waiting integer open items still within wait_days
---@field status "clean"|"within_tolerance"|"waiting"|"held"
---@field reason string? why it holds the statement (status "held"), else nil
---@field ledger_totals settle.Sums the ledger's sums of the period, settlement currency

---@class settle.Period: settle.Sums
---@field partner string partner id from settle.yaml
---@field kind string? partner kind from settle.yaml ("game_provider", ...), or nil
---@field period string period label: "2025-09-22", "2025-W39" or "2025-09"
---@field period_kind "daily"|"weekly"|"monthly"
---@field first_day settle.Date first business day of the period
---@field last_day settle.Date last business day of the period
---@field currency string settlement currency, e.g. "EUR"
---@field exponent integer minor-unit digits of the settlement currency
---@field duplicates integer repeated transactions, counted once
---@field rejected integer rows rejected into exceptions.csv
---@field carry_in settle.Money balance carried from the previous period (its `carry_out`)
---@field by_category table<string, settle.Sums> the same sums per game category
---@field by_game table<string, settle.Sums> the same sums per game id
---@field by_currency table<string, settle.CurrencySums> per source currency, unconverted
---@field by_day table<settle.Date, settle.Sums> the same sums per business day
---@field fx settle.FxRate[] FX rates applied, by day
---@field reconciliation settle.Reconciliation[] one per `reconcile:` ledger, `{}` when none

---`params`, the second argument: the partner's `params:` from settle.yaml.
---Every scalar is a STRING exactly as written (`share: 12%` gives "12%",
---`min_fee: 500000` gives "500000"); maps are tables, lists are sequences.
---No params gives `{}`.
---@class settle.Params
---@field [string] any

-- ---- what settle returns ---------------------------------------------------

---One statement line.
---@class settle.Line
---@field label string non-empty, at most 1000 bytes
---@field amount settle.Money

---What `settle` returns. Any other field, a float, or a missing field is an error.
---@class settle.Statement
---@field lines settle.Line[] list without holes, at most 10000 (may be `{}`)
---@field payable settle.Money what is owed for the period
---@field carry_out? settle.Money balance carried into the next period's `p.carry_in` (default 0)

-- ---- the transaction hook ------------------------------------------------

---A canonical transaction as the `transaction` hook sees it: a read-only view
---(a userdata, not a table) whose fields are read when asked; setting one is an
---error. The same view is handed to every call for a file and shows the running
---call's transaction; read outside a call (e.g. kept for `settle`) it raises
---"tx was kept after its transaction() call". Copy the fields you need.
---@class settle.Transaction
---@field id string transaction id (with `amounts:`, the row id plus ":type")
---@field type settle.TxType
---@field amount integer minor units of `currency` (the row's own currency)
---@field currency string source currency, e.g. "USD"
---@field game string? game id, nil when not mapped or empty
---@field category string? game category, nil when not mapped or empty
---@field player string? player id, nil when not mapped or empty
---@field round string? round id, nil when not mapped or empty
---@field instant integer the instant in UTC seconds
---@field day string business day, "YYYY-MM-DD"

---A change the `transaction` hook may return as a table.
---@class settle.TxChange
---@field type? settle.TxType reclassify the transaction
---@field bucket? string put it in this custom bucket (replaces its category)
---@field skip? string skip it, with this reason

---The rule file's returned table.
---@class settle.Rule
---Required: settles one partner's period.
---@field settle fun(p: settle.Period, params: settle.Params): settle.Statement
---Optional: called once per canonical transaction while a drop is read,
---before dedup and summing. Return nil (or nothing, or true) to keep it;
---`false, "reason"` to skip it (a skipped_by_rule row in exceptions.csv);
---a canonical type name to reclassify it; a second string to put it in a
---bucket (its category); or a settle.TxChange table.
---@field transaction? fun(tx: settle.Transaction, params: settle.Params): (boolean|settle.TxType|settle.TxChange|nil), string?

-- ---- the money library -----------------------------------------------------

---A tier of `money.tiered` / `money.tier`: ascending by `upto`; only the last
---may leave `upto` out. `upto` is text in major units of the settlement
---currency ("1000000") or an integer compared as is (minor units, or a count).
---@class settle.Tier
---@field upto? string|integer
---@field rate settle.Rate

---Exact money for rules. Errors name the calling line and say what to do;
---64-bit overflow is an error, never a wrap.
---@class settle.MoneyLib
money = {}

---Minor units of a major-unit decimal string: `money.of("1234.50")` -> 123450 in EUR.
---Errors on bad text, too many decimals, overflow or an unknown currency.
---@param text string amount in major units, e.g. "1234.50", "-0.05", "500000"
---@param currency? string ISO 4217 code; default the settlement currency (required in top-level code)
---@return settle.Money
function money.of(text, currency) end

---`amount x rate`, rounded once: `money.mul(25, "10%")` -> 2, `3` with "half_up".
---@param amount settle.Money
---@param rate settle.Rate e.g. "12.5%", "0.035", or an integer as text ("3") to multiply exactly
---@param mode? settle.Rounding default "half_even"
---@return settle.Money
function money.mul(amount, rate, mode) end

---Graduated charge: each tier's rate on the part of `amount` inside the tier,
---summed exactly, rounded once. 0 gives 0; a negative amount is charged at the
---first tier's rate (use `money.max(x, 0)` to charge nothing on losses); beyond
---the last `upto` the last tier's rate applies.
---@param amount settle.Money
---@param tiers settle.Tier[]
---@param mode? settle.Rounding default "half_even"
---@return settle.Money
function money.tiered(amount, tiers, mode) end

---The `rate` of the first tier with no `upto` or with `basis <= upto` (the last
---tier when `basis` is beyond all): one rate for the whole volume.
---@param basis integer minor units, or a count compared with integer `upto`s
---@param tiers settle.Tier[]
---@return settle.Rate
function money.tier(basis, tiers) end

---Exact sum; `money.add()` is 0.
---@param ... settle.Money
---@return settle.Money
function money.add(...) end

---`a - b`.
---@param a settle.Money
---@param b settle.Money
---@return settle.Money
function money.sub(a, b) end

---The smallest argument.
---@param a settle.Money
---@param ... settle.Money
---@return settle.Money
function money.min(a, ...) end

---The largest argument.
---@param a settle.Money
---@param ... settle.Money
---@return settle.Money
function money.max(a, ...) end

---Integers proportional to `weights` that add up exactly to `total`; leftover
---units go to the largest remainders, ties to the earlier entry. A negative
---total is split as its magnitude, then negated.
---`money.split(100, {1, 1, 1})` -> `{34, 33, 33}`.
---@param total settle.Money
---@param weights integer[] each >= 0, not all 0
---@return settle.Money[]
function money.split(total, weights) end

---Major-unit text: `money.format(123450)` -> "1234.50", `money.format(-5)` -> "-0.05".
---@param amount settle.Money
---@param currency? string ISO 4217 code; default the settlement currency
---@return string
function money.format(amount, currency) end

---GGR of any table with a `total` table: (bet - refund) - (win - win_reversal),
---e.g. `money.ggr(p.by_game["g1"])`.
---@param t { total: settle.ByType }
---@return settle.Money
function money.ggr(t) end

---The same as money.mul: `money.pct(10000, "12.5%")` is 1250.
---@param amount settle.Money
---@param rate settle.Rate
---@param mode? settle.Rounding
---@return settle.Money
function money.pct(amount, rate, mode) end

---`amount` (minor units of `from`) in minor units of `to` at the rates table's
---latest rate on or before `date` ("YYYY-MM-DD"), rounded once. Raises when no
---rate applies (rates are never inverted).
---@param amount settle.Money
---@param from string ISO 4217 code of the amount
---@param to string ISO 4217 code wanted
---@param date string "YYYY-MM-DD", e.g. p.last_day
---@param mode? settle.Rounding
---@return settle.Money
function money.convert(amount, from, to, date, mode) end

-- ---- the tax library -------------------------------------------------------

---Dated tax rates from the table named by `tax: { tables: ... }` in settle.yaml.
---Read-only. The rate in force on a day is the last entry whose `from` is on
---or before it; before the first entry there is no rate and the rule fails.
---@class settle.TaxLib
tax = {}

---The rate in force on `date`, as written in the table ("5.5%", "0.055").
---Every money function that takes a rate accepts it.
---@param jurisdiction string e.g. "MT" (matched exactly)
---@param tax_name string e.g. "vat", "gaming_tax"
---@param date settle.Date e.g. p.last_day
---@return settle.Rate
function tax.rate(jurisdiction, tax_name, date) end

---`amount x rate in force on date`, rounded once; the same as
---`money.mul(amount, tax.rate(jurisdiction, tax_name, date), mode)`.
---@param amount integer minor units (of any currency; the result is in the same units)
---@param jurisdiction string e.g. "MT"
---@param tax_name string e.g. "gaming_tax"
---@param date settle.Date e.g. p.last_day
---@param mode? settle.Rounding default "half_even"
---@return integer
function tax.apply(amount, jurisdiction, tax_name, date, mode) end
