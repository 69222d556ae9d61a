// Package protocol holds the generated driver protocol (driverv1) and the go-plugin handshake that
// both sides must agree on. The TypeScript twin of these constants is src/plugin/handshake.ts.
package protocol

import "github.com/hashicorp/go-plugin"

const (
	// ProtocolVersion is go-plugin's application protocol version. Bump it together with
	// src/plugin/handshake.ts on any incompatible change to proto/stackit/driver/v1.
	ProtocolVersion = 1
	// MagicCookieKey and MagicCookieValue stop the plugin from being run by hand by mistake;
	// they are not a security measure.
	MagicCookieKey   = "MCM_STACKIT_DRIVER_PLUGIN"
	MagicCookieValue = "6f1c2a57-2d0e-4c51-9a59-0b7c3f2f5e8d"
	// PluginName is the name the driver is dispensed under.
	PluginName = "driver"
)

// Handshake is the go-plugin handshake of the driver plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}
