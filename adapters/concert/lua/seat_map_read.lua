-- The stored seat map and its version: {body or false, builds, logged}. KEYS: body, meta
local meta = redis.call('HMGET', KEYS[2], 'builds', 'logged')
return {redis.call('GET', KEYS[1]), meta[1] or '0', meta[2] or '0'}
