package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by every instance pointed at one Redis. Each Take is
// one script run atomically by Redis on Redis's own clock, so instances with
// skewed clocks still agree on the window.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis connects to url (redis://[user:pass@]host:port/db). Timeouts are
// short: on an outage the limiter fails open rather than making requests wait.
func NewRedis(url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	opt.DialTimeout = 250 * time.Millisecond
	opt.ReadTimeout = 250 * time.Millisecond
	opt.WriteTimeout = 250 * time.Millisecond
	opt.MaxRetries = 1
	opt.DialerRetries = 1
	return &Redis{client: redis.NewClient(opt), prefix: "pivotal:ratelimit:"}, nil
}

// Ping checks the connection.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

// slidingLog is the window of one key: a sorted set of "cost:nonce" members
// scored by their time in microseconds. It drops what left the window, sums
// the rest, and adds this request when it fits. It returns
// {allowed, used after, oldest score, retry-after µs, now µs}.
var slidingLog = redis.NewScript(`
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do
  used = used + tonumber(string.match(entries[i], '^(%d+):'))
end
local allowed, retry = 0, 0
local oldest = now
if #entries > 0 then oldest = tonumber(entries[2]) end
if used + cost <= limit then
  redis.call('ZADD', key, now, cost .. ':' .. ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  used = used + cost
  allowed = 1
else
  local need, freed = used + cost - limit, 0
  for i = 1, #entries, 2 do
    freed = freed + tonumber(string.match(entries[i], '^(%d+):'))
    if freed >= need then
      retry = tonumber(entries[i + 1]) + window - now
      break
    end
  end
end
return {allowed, used, oldest, retry, now}
`)

// Take implements Store.
func (r *Redis) Take(ctx context.Context, key string, limit, cost int) (Result, error) {
	var nonce [8]byte
	rand.Read(nonce[:])
	v, err := slidingLog.Run(ctx, r.client, []string{r.prefix + key},
		limit, cost, Window.Microseconds(), hex.EncodeToString(nonce[:])).Int64Slice()
	if err != nil {
		return Result{}, err
	}
	if len(v) != 5 {
		return Result{}, fmt.Errorf("ratelimit: script returned %d values", len(v))
	}
	used := int(v[1])
	return Result{
		Allowed: v[0] == 1, Limit: limit, Cost: cost, Remaining: limit - used,
		Reset:      time.UnixMicro(v[2]).Add(Window),
		RetryAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}
