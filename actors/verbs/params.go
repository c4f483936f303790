package verbs

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The engine is loose with types (VM.shutdown's delay arrives as a string, booleans as "true"),
// and VDSM's Python coerces them with int() or truthiness. These accessors accept what VDSM
// accepts and reject the rest with -32602 naming the parameter.

func present(c *Call, name string) (json.RawMessage, bool) {
	raw, ok := c.Params[name]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

// String is a required string parameter.
func (c *Call) String(name string) (string, error) {
	raw, ok := present(c, name)
	if !ok {
		return "", missing(c.Method, name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badParam(c.Method, name, "a string")
	}
	return s, nil
}

// OptString is an optional string parameter.
func (c *Call) OptString(name, def string) (string, error) {
	if _, ok := present(c, name); !ok {
		return def, nil
	}
	return c.String(name)
}

// OptInt is an optional integer, given as a JSON number or a decimal string.
func (c *Call) OptInt(name string, def int64) (int64, error) {
	raw, ok := present(c, name)
	if !ok {
		return def, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	return 0, badParam(c.Method, name, "an integer")
}

// OptBool is an optional boolean, given as a JSON boolean or the strings "true"/"false".
func (c *Call) OptBool(name string, def bool) (bool, error) {
	raw, ok := present(c, name)
	if !ok {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if v, err := strconv.ParseBool(s); err == nil {
			return v, nil
		}
	}
	return false, badParam(c.Method, name, "a boolean")
}

// OptStrings is an optional list of strings.
func (c *Call) OptStrings(name string) ([]string, error) {
	raw, ok := present(c, name)
	if !ok {
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, badParam(c.Method, name, "a list of strings")
	}
	return ss, nil
}

// Object is a required JSON object parameter, kept raw.
func (c *Call) Object(name string) (map[string]json.RawMessage, error) {
	raw, ok := present(c, name)
	if !ok {
		return nil, missing(c.Method, name)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, badParam(c.Method, name, "an object")
	}
	return m, nil
}
