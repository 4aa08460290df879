-- slot_licence.lua - slot-solution vendor paid a licence fee per period,
-- a fee per game in play, and a share of GGR.
--
-- Contract, as finance reads it:
--   * The platform licence fee is due every period, whatever the results.
--   * Each game that took at least one bet in the period costs
--     `per_game_fee` (optional; games with only late wins are not in play).
--   * On top, the vendor earns `share` of GGR, rounded half-even once; a
--     negative GGR earns nothing (never negative, nothing carried forward).
--
-- params (settle.yaml):
--   licence_fee:  fixed fee per period, major units, e.g. "1500000"
--   per_game_fee: optional fee per game in play, major units, e.g. "50000"
--   share:        percentage of GGR, e.g. "6%"
--
-- Lines add up to the payable amount. Tests: rules/tests/slot_licence.yaml.

-- Stops with a clear message when a parameter is missing from settle.yaml.
local function need(params, key, example)
  if params[key] == nil then
    error("params." .. key .. " is missing; add it to this partner in settle.yaml, e.g. "
          .. key .. ": " .. example, 2)
  end
  return params[key]
end

-- Sorted ids of the games that took at least one bet.
local function games_in_play(p)
  local ids = {}
  for id, g in pairs(p.by_game) do
    if g.count.bet > 0 then
      ids[#ids + 1] = id
    end
  end
  table.sort(ids)
  return ids
end

return {
  ---@param p settle.Period
  ---@param params settle.Params
  ---@return settle.Statement
  settle = function(p, params)
    local fee = money.of(need(params, "licence_fee", '"1500000"'))
    local rate = need(params, "share", '"6%"')
    local share = money.mul(money.max(p.ggr, 0), rate)

    local lines = { { label = "Licence fee " .. p.period, amount = fee } }
    local payable = fee
    if params.per_game_fee ~= nil then
      local per_game = money.of(params.per_game_fee)
      local ids = games_in_play(p)
      local games = money.mul(per_game, tostring(#ids))
      local label = #ids .. " games in play x " .. money.format(per_game)
      if #ids > 0 then
        label = label .. " (" .. table.concat(ids, ", ") .. ")"
      end
      lines[#lines + 1] = { label = label, amount = games }
      payable = money.add(payable, games)
    end
    lines[#lines + 1] = { label = "Share " .. rate .. " of GGR " .. money.format(p.ggr),
                          amount = share }
    return { lines = lines, payable = money.add(payable, share), carry_out = 0 }
  end,
}
