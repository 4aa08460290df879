-- live_casino.lua - live-dealer studio: share of net gaming revenue (NGR)
-- with a monthly minimum guarantee.
--
-- Contract, as finance reads it:
--   * NGR = GGR - bonus (operator-funded stakes such as free bets)
--               - jackpot contributions (money set aside for jackpots).
--   * The studio earns `share` of NGR; a negative NGR earns nothing (no
--     carry-forward in this contract).
--   * The studio is guaranteed `minimum` per statement: when the share is
--     lower, a top-up line makes up the difference.
--
-- params (settle.yaml):
--   share:   percentage of NGR, e.g. "15%"
--   minimum: minimum guarantee per statement, major units, e.g. "1000000"
--
-- Lines add up to the payable amount.

-- Stops with a clear message when a parameter is missing from settle.yaml.
local function need(params, key, example)
  if params[key] == nil then
    error("params." .. key .. " is missing; add it to this partner in settle.yaml, e.g. "
          .. key .. ": " .. example, 2)
  end
  return params[key]
end

return {
  settle = function(p, params)
    local rate = need(params, "share", '"15%"')
    local minimum = money.of(need(params, "minimum", '"1000000"'))

    local ngr = money.sub(money.sub(p.ggr, p.total.bonus), p.total.jackpot_contribution)
    local share = money.mul(money.max(ngr, 0), rate)   -- rounded half-even, once

    local lines = {
      { label = "Share " .. rate .. " of NGR " .. money.format(ngr)
                .. " (GGR " .. money.format(p.ggr) .. " - bonus " .. money.format(p.total.bonus)
                .. " - jackpot contribution " .. money.format(p.total.jackpot_contribution) .. ")",
        amount = share },
    }
    local payable = money.max(share, minimum)
    if payable > share then
      lines[#lines + 1] = { label = "Minimum guarantee top-up to " .. money.format(minimum),
                            amount = money.sub(payable, share) }
    end
    return { lines = lines, payable = payable, carry_out = 0 }
  end,
}
