-- slot_solution.lua - slot platform vendor: a fixed licence fee per
-- statement period plus a share of GGR.
--
-- Contract, as finance reads it:
--   * The licence fee is due every period, whatever the results.
--   * On top, the vendor earns `share` of GGR; a negative GGR earns nothing
--     (the share is never negative and nothing is carried forward).
--
-- params (settle.yaml):
--   licence_fee: fixed fee per period, major units, e.g. "2500000"
--   share:       percentage of GGR, e.g. "5%"
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
    local fee = money.of(need(params, "licence_fee", '"2500000"'))
    local rate = need(params, "share", '"5%"')
    local share = money.mul(money.max(p.ggr, 0), rate)

    return {
      lines = {
        { label = "Licence fee " .. p.period, amount = fee },
        { label = "Share " .. rate .. " of GGR " .. money.format(p.ggr), amount = share },
      },
      payable = money.add(fee, share),
      carry_out = 0,
    }
  end,
}
