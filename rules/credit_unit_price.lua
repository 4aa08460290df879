-- credit_unit_price.lua - credit ("chip") supplier paid a unit price per
-- credit unit, with a volume discount.
--
-- Contract, as finance reads it:
--   * Every purchase transaction is one unit (a voucher, card or credit
--     pack); every refund returns one. Units = purchases - refunds (counts).
--   * Units are billed at the list `unit_price`.
--   * The volume tier the period's units reach sets one discount rate for
--     all units (a volume tier, not graduated).
--   * The discount per unit is rounded half-up to the minor unit, so the
--     invoice shows a whole discounted unit price; units x that price is
--     then exact.
--
-- params (settle.yaml):
--   unit_price: list price per unit, major units, e.g. "0.50"
--   tiers:      list of {upto: <units>, rate: "<discount>"}, upto a whole number
--               of units; the last tier leaves out upto, e.g.
--               [{upto: 9999, rate: "0%"}, {upto: 49999, rate: "3%"}, {rate: "5%"}]
--
-- Lines add up to the payable amount. Tests: rules/tests/credit_unit_price.yaml.

-- Stops with a clear message when a parameter is missing from settle.yaml.
local function need(params, key, example)
  if params[key] == nil then
    error("params." .. key .. " is missing; add it to this partner in settle.yaml, e.g. "
          .. key .. ": " .. example, 2)
  end
  return params[key]
end

-- The tiers with upto as an integer count of units (params arrive as text,
-- and money.tier reads text as money).
local function unit_tiers(tiers)
  local out = {}
  for i, t in ipairs(tiers) do
    local upto = nil
    if t.upto ~= nil then
      upto = math.tointeger(tonumber(t.upto))
      if upto == nil then
        error("params.tiers[" .. i .. "].upto must be a whole number of units, got "
              .. tostring(t.upto), 2)
      end
    end
    out[i] = { upto = upto, rate = t.rate }
  end
  return out
end

return {
  ---@param p settle.Period
  ---@param params settle.Params
  ---@return settle.Statement
  settle = function(p, params)
    local list = money.of(need(params, "unit_price", '"0.50"'))
    local tiers = unit_tiers(need(params, "tiers", '[{upto: 9999, rate: "0%"}, {rate: "3%"}]'))

    local units = p.count.purchase - p.count.refund
    local rate = money.tier(units, tiers)
    local unit_discount = money.mul(list, rate, "half_up")
    local unit_net = money.sub(list, unit_discount)

    local gross = money.mul(list, tostring(units))      -- exact: an integer rate
    local payable = money.mul(unit_net, tostring(units))
    local lines = {
      { label = units .. " units at " .. money.format(list)
                .. " (" .. p.count.purchase .. " purchases - " .. p.count.refund .. " refunds)",
        amount = gross },
    }
    if unit_discount ~= 0 then
      lines[#lines + 1] = { label = "Volume discount " .. rate .. ": unit price "
                                    .. money.format(unit_net),
                            amount = money.sub(payable, gross) }
    end
    return { lines = lines, payable = payable, carry_out = 0 }
  end,
}
