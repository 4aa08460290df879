-- live_casino_guarantee.lua - live-dealer studio paid a share of net gaming
-- revenue (NGR) with a MONTHLY minimum guarantee, whatever the statement
-- period.
--
-- Contract, as finance reads it:
--   * NGR = GGR - bonus (operator-funded stakes) - jackpot contributions.
--   * The studio earns `share` of NGR, rounded half-even once; a negative NGR
--     earns nothing (no carry-forward in this contract).
--   * The studio is guaranteed `minimum` per calendar month. A monthly
--     statement guarantees the whole minimum; a daily or weekly statement
--     guarantees the part of each month's minimum that its days cover
--     (minimum x days / days of that month), split exactly with money.split
--     so the parts of a month add up to its minimum. A week across two
--     months takes its days from each.
--   * When the share is below the guarantee, a top-up line makes up the
--     difference.
--
-- params (settle.yaml):
--   share:   percentage of NGR, e.g. "12%"
--   minimum: minimum guarantee per calendar month, major units, e.g. "3000000"
--
-- Lines add up to the payable amount. Tests: rules/tests/live_casino_guarantee.yaml.

-- Stops with a clear message when a parameter is missing from settle.yaml.
local function need(params, key, example)
  if params[key] == nil then
    error("params." .. key .. " is missing; add it to this partner in settle.yaml, e.g. "
          .. key .. ": " .. example, 2)
  end
  return params[key]
end

-- Year, month and day of a "YYYY-MM-DD" date.
local function ymd(date)
  local y, m, d = date:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  return tonumber(y), tonumber(m), tonumber(d)
end

-- Number of days in month m of year y.
local function month_days(y, m)
  if m == 2 then
    return (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) and 29 or 28
  end
  return ({ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
end

-- The guarantee for the days first..last: each month's share of `minimum`.
local function guarantee(minimum, first, last)
  local y, m, d = ymd(first)
  local ly, lm, ld = ymd(last)
  local total, days = 0, 0
  while true do
    local n = month_days(y, m)
    local upto = (y == ly and m == lm) and ld or n
    local covered = upto - d + 1
    total = money.add(total, money.split(minimum, { covered, n - covered })[1])
    days = days + covered
    if y == ly and m == lm then
      return total, days
    end
    y, m, d = (m == 12) and y + 1 or y, m % 12 + 1, 1
  end
end

return {
  ---@param p settle.Period
  ---@param params settle.Params
  ---@return settle.Statement
  settle = function(p, params)
    local rate = need(params, "share", '"12%"')
    local minimum = money.of(need(params, "minimum", '"3000000"'))

    local ngr = money.sub(money.sub(p.ggr, p.total.bonus), p.total.jackpot_contribution)
    local share = money.mul(money.max(ngr, 0), rate)   -- rounded half-even, once

    local lines = {
      { label = "Share " .. rate .. " of NGR " .. money.format(ngr)
                .. " (GGR " .. money.format(p.ggr) .. " - bonus " .. money.format(p.total.bonus)
                .. " - jackpot contribution " .. money.format(p.total.jackpot_contribution) .. ")",
        amount = share },
    }
    local floor, days = guarantee(minimum, p.first_day, p.last_day)
    if share < floor then
      lines[#lines + 1] = {
        label = "Minimum guarantee top-up to " .. money.format(floor) .. " ("
                .. money.format(minimum) .. " a month, " .. days
                .. (days == 1 and " day)" or " days)"),
        amount = money.sub(floor, share) }
    end
    return { lines = lines, payable = money.max(share, floor), carry_out = 0 }
  end,
}
