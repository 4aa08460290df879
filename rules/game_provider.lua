-- game_provider.lua - revenue share for a game provider (content licence).
--
-- Contract, as finance reads it:
--   * The provider earns a graduated share of GGR (bets - refunds - wins +
--     reversed wins): each tier's rate applies only to the part of GGR that
--     falls inside that tier, like income-tax brackets.
--   * A losing month (negative GGR) earns no share. The loss is carried
--     forward and set against the next months' GGR until it is used up.
--   * Whatever the share, the provider is paid at least the monthly minimum
--     fee; the difference shows as a separate "top-up" line.
--
-- params (settle.yaml):
--   tiers:   list of {upto: "<GGR in major units>", rate: "<percent>"};
--            the last tier may leave out upto (it covers everything above)
--   min_fee: minimum fee per statement, major units, e.g. "500000"
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
    local tiers = need(params, "tiers", '[{upto: "1000000", rate: "10%"}, {rate: "12%"}]')
    local min_fee = money.of(need(params, "min_fee", '"500000"'))

    -- GGR after setting off any loss carried in from earlier periods
    -- (carry_in is 0 or negative).
    local basis = money.add(p.ggr, p.carry_in)
    local share = money.tiered(money.max(basis, 0), tiers)

    local label = "Revenue share (tiered) on GGR " .. money.format(p.ggr)
    if p.carry_in ~= 0 then
      label = label .. " less loss carried in " .. money.format(money.sub(0, p.carry_in))
    end
    local lines = { { label = label, amount = share } }

    local payable = money.max(share, min_fee)
    if payable > share then
      lines[#lines + 1] = { label = "Minimum fee top-up to " .. money.format(min_fee),
                            amount = money.sub(payable, share) }
    end

    -- A loss not yet used up is carried into the next period.
    return { lines = lines, payable = payable, carry_out = money.min(basis, 0) }
  end,
}
