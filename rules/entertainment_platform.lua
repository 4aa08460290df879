-- entertainment_platform.lua - entertainment operator billed a platform fee
-- plus the taxes of its jurisdiction on that fee.
--
-- Contract, as finance reads it:
--   * The operator runs its shows and games on our platform and owes a
--     platform fee of `fee` of its positive GGR (a losing period owes no
--     fee), rounded half-even once. `payable` is what the operator owes us.
--   * On the fee, each tax listed in `taxes` (default: vat) is charged at
--     the rate the tax table (tax: { tables: ... } in settle.yaml) has in
--     force in `jurisdiction` on the period's last day, each rounded
--     half-up to the minor unit, as on an invoice.
--
-- params (settle.yaml):
--   jurisdiction: the operator's jurisdiction in the tax table, e.g. MT
--   fee:          platform fee, percentage of GGR, e.g. "10%"
--   taxes:        optional list of tax names of that jurisdiction, e.g. [vat]
--
-- Lines add up to the payable amount. Tests: rules/tests/entertainment_platform.yaml.

-- Stops with a clear message when a parameter is missing from settle.yaml.
local function need(params, key, example)
  if params[key] == nil then
    error("params." .. key .. " is missing; add it to this partner in settle.yaml, e.g. "
          .. key .. ": " .. example, 2)
  end
  return params[key]
end

-- "vat" -> "VAT", "franchise_tax" -> "Franchise tax".
local function tax_title(name)
  if name == "vat" then
    return "VAT"
  end
  local words = name:gsub("_", " ")
  return words:sub(1, 1):upper() .. words:sub(2)
end

return {
  ---@param p settle.Period
  ---@param params settle.Params
  ---@return settle.Statement
  settle = function(p, params)
    local where = need(params, "jurisdiction", "MT")
    local rate = need(params, "fee", '"10%"')
    local taxes = params.taxes or { "vat" }

    local fee = money.mul(money.max(p.ggr, 0), rate)
    local lines = {
      { label = "Platform fee " .. rate .. " of GGR " .. money.format(p.ggr), amount = fee },
    }
    local payable = fee
    for _, name in ipairs(taxes) do
      local amount = tax.apply(fee, where, name, p.last_day, "half_up")
      lines[#lines + 1] = { label = tax_title(name) .. " " .. tax.rate(where, name, p.last_day)
                                    .. " (" .. where .. ") on the platform fee",
                            amount = amount }
      payable = money.add(payable, amount)
    end
    return { lines = lines, payable = payable, carry_out = 0 }
  end,
}
