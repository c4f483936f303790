package stomp

import "testing"

func TestUnescape(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"plain", "plain", true},
		{`\\`, `\`, true},
		{`\n`, "\n", true},
		{`\r`, "\r", true},
		{`\c`, ":", true},
		{`a\cb\nc\rd\\e`, "a:b\nc\rd\\e", true},
		{`\\n`, `\n`, true},
		{`\\\\`, `\\`, true},
		{`é\c`, "é:", true},
		{`\t`, "", false},
		{`\C`, "", false},
		{`\N`, "", false},
		{`a\`, "", false},
		{`\`, "", false},
		{`\\\`, "", false},
		{`\x41`, "", false},
	}
	for _, c := range cases {
		got, ok := unescape(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("unescape(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"jms.topic.vdsm_responses", "jms.topic.vdsm_responses"},
		{"a:b", `a\cb`},
		{"line\nbreak", `line\nbreak`},
		{"cr\r", `cr\r`},
		{`back\slash`, `back\\slash`},
		{":\\\n\r", `\c\\\n\r`},
		{"fe80::1", `fe80\c\c1`},
	}
	for _, c := range cases {
		got := string(appendEscaped([]byte("x"), c.in))
		if got != "x"+c.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", c.in, got[1:], c.want)
		}
		if n := escapedLen(c.in); n != len(c.want) {
			t.Errorf("escapedLen(%q) = %d, want %d", c.in, n, len(c.want))
		}
		if back, ok := unescape(c.want); !ok || back != c.in {
			t.Errorf("unescape(appendEscaped(%q)) = %q, %v", c.in, back, ok)
		}
	}
}

func TestEscapesExemptConnect(t *testing.T) {
	for cmd, want := range map[string]bool{
		CmdConnect: false, CmdConnected: false, CmdStomp: true, CmdSend: true, CmdMessage: true, "connect": true,
	} {
		if escapes(cmd) != want {
			t.Errorf("escapes(%q) = %v", cmd, !want)
		}
	}
}
