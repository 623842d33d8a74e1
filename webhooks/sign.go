// Package webhooks delivers events to endpoints as the Svix delivery contract
// says: signed requests (svix-id, svix-timestamp, svix-signature), retried on
// a fixed schedule, from messages the outbox wrote in the writing transaction.
// The Dispatcher runs inside serve; any number of instances share the work.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// NewSecret returns a signing secret: whsec_ + base64 of 24 random bytes.
func NewSecret() string {
	var b [24]byte
	rand.Read(b[:])
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// Sign returns the v1 signature of a delivery: base64 of HMAC-SHA256, keyed by
// the decoded part of secret after whsec_, of "{msgID}.{timestamp}.{body}".
func Sign(secret, msgID string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return "", errors.New("webhooks: malformed signing secret")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// SignatureHeader is svix-signature: one v1 signature per active secret,
// separated by spaces.
func SignatureHeader(secrets []string, msgID string, timestamp int64, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, msgID, timestamp, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}
