#include "engine/redis/RedisBoardScripts.h"

#include "config/ServerLimits.h"

namespace forgewire::redisboard {

namespace {

// Shared by both scripts: the ordered insert of BoardModel (after every item whose sorting is <= the
// new one's) and a model's list-boards summary.
constexpr char kPrelude[] = R"LUA(
local function insertBySorting(items, item)
  local at = #items + 1
  for i, it in ipairs(items) do
    if (tonumber(it.sorting) or 0) > (tonumber(item.sorting) or 0) then at = i break end
  end
  table.insert(items, at, item)
end
local function summary(id, board)
  return cjson.encode({topic = 'project-board.' .. id, title = board.title, owner = board.owner,
                       repo = board.repo})
end
)LUA";

// Where a layout keeps a board: loadBoard(id) -> model JSON or false, seq; saveBoard(id, model, seq);
// storeModel(id, model JSON) -> the new seq; deleteBoard(id) (model and ACL); publishBoard(id, message).
// One Redis: a hash per model plus the hashes of every summary and ACL (fw:boards, fw:acl), PUBLISH.
constexpr char kSingleLayout[] = R"LUA(
local function boardKey(id) return 'fw:board:' .. id end
local function loadBoard(id)
  local v = redis.call('HMGET', boardKey(id), 'model', 'seq')
  return v[1], v[2]
end
local function saveBoard(id, model, seq)
  redis.call('HSET', boardKey(id), 'model', cjson.encode(model), 'seq', seq)
  redis.call('HSET', 'fw:boards', id, summary(id, model))
end
local function storeModel(id, model)
  local seq = redis.call('HINCRBY', boardKey(id), 'seq', 1)
  redis.call('HSET', boardKey(id), 'model', model)
  redis.call('HSET', 'fw:boards', id, summary(id, cjson.decode(model)))
  return seq
end
local function deleteBoard(id)
  redis.call('DEL', boardKey(id))
  redis.call('HDEL', 'fw:boards', id)
  redis.call('HDEL', 'fw:acl', id)
end
local function publishBoard(id, message) redis.call('PUBLISH', 'fw:topic:project-board.' .. id, message) end
)LUA";

// Redis Cluster: everything of a board in its topic's slot (hash tag), the summary a field of the
// model's hash, SPUBLISH on the board's sharded channel; nothing node-wide, so a script touches the
// board's slot only.
constexpr char kClusterLayout[] = R"LUA(
local function boardKey(id) return 'fw:board:{project-board.' .. id .. '}' end
local function loadBoard(id)
  local v = redis.call('HMGET', boardKey(id), 'model', 'seq')
  return v[1], v[2]
end
local function saveBoard(id, model, seq)
  redis.call('HSET', boardKey(id), 'model', cjson.encode(model), 'seq', seq, 'summary', summary(id, model))
end
local function storeModel(id, model)
  local seq = redis.call('HINCRBY', boardKey(id), 'seq', 1)
  redis.call('HSET', boardKey(id), 'model', model, 'summary', summary(id, cjson.decode(model)))
  return seq
end
local function deleteBoard(id)
  redis.call('DEL', boardKey(id))
  redis.call('DEL', 'fw:acl:{project-board.' .. id .. '}')
end
local function publishBoard(id, message) redis.call('SPUBLISH', 'fw:topic:{project-board.' .. id .. '}', message) end
)LUA";

constexpr char kApplyEvents[] = R"LUA(
local function findColumn(columns, id)
  for i, c in ipairs(columns) do if c.column_id == id then return i end end
  return nil
end
local function findCard(cards, id)
  for i, c in ipairs(cards) do if c.issue_id == id then return i end end
  return nil
end
local function str(v, fallback) if type(v) == 'string' then return v end return fallback end
local function num(v, fallback) if type(v) == 'number' then return v end return fallback end

local function apply(board, event, d)
  local columns = board.columns
  if event == 'card.moved' then
    local from, to = findColumn(columns, d.from_column_id), findColumn(columns, d.to_column_id)
    if not from or not to then return 'card.moved names a column the board does not have' end
    local at = findCard(columns[from].cards, d.issue_id)
    if not at then return 'card.moved: issue ' .. tostring(d.issue_id) .. ' is not in that column' end
    local card = table.remove(columns[from].cards, at)
    card.issue_index = num(d.issue_index, card.issue_index)
    card.repo = str(d.repo, card.repo)
    card.sorting = num(d.sorting, card.sorting)
    insertBySorting(columns[to].cards, card)
  elseif event == 'card.linked' then
    local at = findColumn(columns, d.column_id)
    if not at then return 'card.linked names a column the board does not have' end
    local count = 0
    for _, c in ipairs(columns) do
      if findCard(c.cards, d.issue_id) then
        return 'card.linked: issue ' .. tostring(d.issue_id) .. ' is already on the board'
      end
      count = count + #c.cards
    end
    if count >= MAX_CARDS then return 'the board holds ' .. count .. ' cards, the limit' end
    local cards = columns[at].cards
    local sorting = d.sorting
    if type(sorting) ~= 'number' then
      if #cards == 0 then sorting = 0 else sorting = (tonumber(cards[#cards].sorting) or 0) + 1 end
    end
    insertBySorting(cards, {issue_id = d.issue_id, issue_index = num(d.issue_index, 0), repo = str(d.repo, ''),
                            title = str(d.title, ''), sorting = sorting, is_closed = false})
  elseif event == 'card.unlinked' then
    local at = findColumn(columns, d.column_id)
    if not at then return 'card.unlinked names a column the board does not have' end
    local card = findCard(columns[at].cards, d.issue_id)
    if not card then return 'card.unlinked: issue ' .. tostring(d.issue_id) .. ' is not in that column' end
    table.remove(columns[at].cards, card)
  elseif event == 'column.created' or event == 'column.updated' then
    local create = event == 'column.created'
    local at = findColumn(columns, d.column_id)
    if create and at then return 'column.created: column ' .. tostring(d.column_id) .. ' exists already' end
    if not create and not at then return 'column.updated names a column the board does not have' end
    if create and #columns >= MAX_COLUMNS then return 'the board holds ' .. #columns .. ' columns, the limit' end
    local column
    if create then column = {column_id = d.column_id, cards = {}} else column = table.remove(columns, at) end
    column.title = str(d.title, '')
    column.color = str(d.color, '')
    column.sorting = num(d.sorting, 0)
    column.default = d.default == true
    if column.default then
      for _, c in ipairs(columns) do c.default = false end
    end
    insertBySorting(columns, column)
  elseif event == 'column.deleted' then
    local at, target = findColumn(columns, d.column_id), findColumn(columns, d.moved_to_column_id)
    if not at or not target or at == target then return 'column.deleted names a column the board does not have' end
    for _, card in ipairs(columns[at].cards) do insertBySorting(columns[target].cards, card) end
    table.remove(columns, at)
  elseif event == 'column.reordered' then
    for _, entry in ipairs(d.columns) do
      local at = findColumn(columns, entry.column_id)
      if not at then return 'column.reordered names a column the board does not have' end
      columns[at].sorting = entry.sorting
    end
    local sorted = {}
    for _, c in ipairs(columns) do insertBySorting(sorted, c) end
    board.columns = sorted
  elseif event == 'project.updated' then
    board.title = str(d.title, board.title)
    board.description = str(d.description, board.description)
    if type(d.is_closed) == 'boolean' then board.is_closed = d.is_closed end
  elseif event ~= 'project.deleted' then
    return 'unknown board event ' .. tostring(event)
  end
  return nil
end

-- First every event is applied to decoded copies: one that does not fit returns before any write.
local states = {}
local order = {}
local out = {}
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local id, payload, envelope, ends = ARGV[2 + 4 * i], ARGV[3 + 4 * i], ARGV[4 + 4 * i], ARGV[5 + 4 * i] == '1'
  local st = states[id]
  if st == nil then
    local model, seq = loadBoard(id)
    if model then
      st = {model = cjson.decode(model), seq = tonumber(seq) or 0}
      for _, c in ipairs(st.model.columns) do if type(c.cards) ~= 'table' then c.cards = {} end end
    else
      st = {model = false, seq = 0}
    end
    states[id] = st
    table.insert(order, id)
  end
  if st.model then
    if not ends then
      local message = cjson.decode(payload)
      local why = apply(st.model, message.event, message.data)
      if why then return {0, why} end
    end
    st.seq = st.seq + 1
    envelope = string.sub(envelope, 1, -2) .. ',"s":' .. st.seq .. '}'
    st.dirty = true
  end
  if ends then
    st.model = false
    st.deleted = true
  end
  table.insert(out, {id, envelope})
end
for _, id in ipairs(order) do
  local st = states[id]
  if st.deleted then deleteBoard(id) end
  if st.model and st.dirty then saveBoard(id, st.model, st.seq) end
end
for _, p in ipairs(out) do publishBoard(p[1], p[2]) end
return {1}
)LUA";

constexpr char kStoreSnapshot[] = R"LUA(
local id, model, envelope = ARGV[1], ARGV[2], ARGV[3]
local seq = storeModel(id, model)
publishBoard(id, string.sub(envelope, 1, -2) .. ',"s":' .. seq .. '}')
return seq
)LUA";

} // namespace

QByteArray applyEventsScript(Layout layout)
{
    return "local MAX_CARDS = " + QByteArray::number(limits::kMaxBoardCards) +
           "\nlocal MAX_COLUMNS = " + QByteArray::number(limits::kMaxBoardColumns) + "\n" + kPrelude +
           (layout == Layout::Cluster ? kClusterLayout : kSingleLayout) + kApplyEvents;
}

QByteArray storeSnapshotScript(Layout layout)
{
    return QByteArray(kPrelude) + (layout == Layout::Cluster ? kClusterLayout : kSingleLayout) +
           kStoreSnapshot;
}

} // namespace forgewire::redisboard
