-- credit_supplier.lua - credit ("chip") supplier: we pay for the credits we
-- bought, less refunds, with a volume discount.
--
-- Contract, as finance reads it:
--   * Purchases are booked at face value; refunded credits are deducted.
--   * The discount rate is set by the volume tier the period's purchase face
--     value reaches, and that one rate applies to the whole net amount (a
--     volume tier, not graduated).
--   * The discount is rounded half-even to the minor unit, once.
--
-- params (settle.yaml):
--   tiers: list of {upto: "<purchase face value, major units>", rate: "<discount>"};
--          the last tier may leave out upto, e.g.
--          [{upto: "10000000", rate: "0%"}, {upto: "50000000", rate: "2%"}, {rate: "3.5%"}]
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
    local tiers = need(params, "tiers", '[{upto: "10000000", rate: "0%"}, {rate: "2%"}]')

    local face = p.total.purchase
    local refunds = p.total.refund
    local net = money.sub(face, refunds)
    local rate = money.tier(face, tiers)        -- tier reached by purchase volume
    local discount = money.mul(net, rate)

    local lines = {
      { label = "Credits purchased (" .. p.count.purchase .. " purchases)", amount = face },
      { label = "Refunded credits (" .. p.count.refund .. ")", amount = money.sub(0, refunds) },
      { label = "Volume discount " .. rate .. " on " .. money.format(net),
        amount = money.sub(0, discount) },
    }
    return { lines = lines, payable = money.sub(net, discount), carry_out = 0 }
  end,
}
