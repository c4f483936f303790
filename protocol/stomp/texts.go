package stomp

// ERROR texts VDSM sends, byte for byte: engines and tests compare them.
const (
	TextVersionUnsupported       = "Version unsupported"
	TextMissingSubscribeHeaders  = "Missing destination or subscription id header"
	TextSubscriptionExists       = "Subscription id already exists"
	TextMissingID                = "Missing id header"
	TextSubscriptionNotAvailable = "Subscription not available"
	// VDSM's parser raises this (typos and all) for a raw colon in a header value and drops the
	// connection; we send it as the ERROR's text before closing.
	TextColonInHeader = "Contains illigal charachter `:`"
)

// ERROR texts of our own, for cases where VDSM closes the connection without a word. A peer
// deserves to know why it was dropped.
const (
	TextSendWithoutDestination = "SEND without destination"
	TextUnknownCommand         = "Unknown command"     // followed by a space and the command
	TextUnsupportedCommand     = "Unsupported command" // followed by a space and the command
	TextTooManySubscriptions   = "Too many subscriptions"
)

// Texts of a ProtocolError from the Reader. They never quote the peer's bytes, so a hostile
// frame cannot shape what we log or echo.
const (
	TextCommandTooLong       = "Command line too long"
	TextInvalidCommand       = "Invalid command line"
	TextHeaderWithoutColon   = "Header line without colon"
	TextEmptyHeaderName      = "Empty header name"
	TextHeaderLineTooLong    = "Header line too long"
	TextTooManyHeaders       = "Too many headers"
	TextInvalidHeaderChar    = "Carriage return inside header line"
	TextInvalidUTF8          = "Header is not valid UTF-8"
	TextInvalidEscape        = "Invalid escape sequence in header"
	TextInvalidContentLength = "Invalid content-length"
	TextFrameTooLarge        = "Frame too large"
	TextMissingNUL           = "Frame doesn't end with NULL byte"
)
