-- game_provider_net.lua - game provider paid a tiered share of NET gaming
-- revenue: GGR less jackpot contributions and (capped) bonus, with losses
-- carried forward.
--
-- Contract, as finance reads it:
--   * Net revenue = GGR (bets - refunds - wins + reversed wins)
--                   - jackpot contributions (money set aside for the jackpot pool)
--                   - bonus (operator-funded stakes such as free spins).
--   * The bonus deduction may be capped at `bonus_cap` of a positive GGR (a
--     losing month deducts no bonus). Without bonus_cap the whole bonus is
--     deducted. The cap is rounded down to the minor unit.
--   * A loss (negative net revenue) earns nothing and is carried into the
--     next period, where it is set against net revenue until used up.
--   * The share is graduated: each tier's rate applies only to the part of
--     the revenue inside that tier (like income-tax brackets), summed exactly
--     and rounded once with `rounding` (default half_even).
--
-- params (settle.yaml):
--   tiers:     list of {upto: "<net revenue, major units>", rate: "<percent>"};
--              the last tier leaves out upto, e.g.
--              [{upto: "20000", rate: "10%"}, {upto: "100000", rate: "15%"}, {rate: "20%"}]
--   bonus_cap: optional, e.g. "25%" (bonus deductible up to 25% of GGR)
--   rounding:  optional rounding mode of the share: half_even (default), half_up, down, ...
--
-- Lines add up to the payable amount. Tests: rules/tests/game_provider_net.yaml.

-- Stops with a clear message when a parameter is missing from settle.yaml.
local function need(params, key, example)
  if params[key] == nil then
    error("params." .. key .. " is missing; add it to this partner in settle.yaml, e.g. "
          .. key .. ": " .. example, 2)
  end
  return params[key]
end

return {
  ---@param p settle.Period
  ---@param params settle.Params
  ---@return settle.Statement
  settle = function(p, params)
    local tiers = need(params, "tiers", '[{upto: "20000", rate: "10%"}, {rate: "15%"}]')
    local mode = params.rounding or "half_even"

    -- Bonus deduction, capped at a share of a positive GGR when the contract says so.
    local bonus = p.total.bonus
    local bonus_note = ""
    if params.bonus_cap ~= nil then
      local cap = money.mul(money.max(p.ggr, 0), params.bonus_cap, "down")
      if bonus > cap then
        bonus_note = " (of " .. money.format(p.total.bonus) .. ", capped at "
                     .. params.bonus_cap .. " of GGR)"
        bonus = cap
      end
    end

    local jackpot = p.total.jackpot_contribution
    local net = money.sub(money.sub(p.ggr, jackpot), bonus)
    local basis = money.add(net, p.carry_in)            -- carry_in is 0 or a loss (< 0)
    local share = money.tiered(money.max(basis, 0), tiers, mode)

    local label = "Revenue share (tiered) on net revenue " .. money.format(net)
                  .. " = GGR " .. money.format(p.ggr)
                  .. " - jackpot contributions " .. money.format(jackpot)
                  .. " - bonus " .. money.format(bonus) .. bonus_note
    if p.carry_in ~= 0 then
      label = label .. ", less loss carried in " .. money.format(money.sub(0, p.carry_in))
    end

    return {
      lines = { { label = label, amount = share } },
      payable = share,
      carry_out = money.min(basis, 0),                  -- a loss not yet used up
    }
  end,
}
