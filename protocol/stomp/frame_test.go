package stomp

import "testing"

func TestFrameGet(t *testing.T) {
	f := &Frame{Command: CmdSend, Headers: hdrs("destination", "first", "empty", "", "destination", "second")}
	cases := []struct {
		key, want string
		ok        bool
	}{
		{"destination", "first", true},
		{"empty", "", true},
		{"missing", "", false},
		{"Destination", "", false},
	}
	for _, c := range cases {
		if v, ok := f.Get(c.key); v != c.want || ok != c.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", c.key, v, ok, c.want, c.ok)
		}
	}
	if v, ok := (&Frame{}).Get("x"); v != "" || ok {
		t.Errorf("Get on an empty frame = %q, %v", v, ok)
	}
}

func TestIsRequestDestination(t *testing.T) {
	cases := map[string]bool{
		RequestQueue:                       true,
		IRSRequestQueue:                    true,
		RequestQueue + ".x":                true,
		IRSRequestQueue + ".a.b":           true,
		RequestQueue + ".":                 true,
		RequestQueue + "x":                 false,
		"jms.topic.vdsm_request":           false,
		"jms.topic":                        false,
		ResponseQueue:                      false,
		EventQueue:                         false,
		"":                                 false,
		"x." + RequestQueue:                false,
		"jms.topic.vdsm_requests_archived": false,
	}
	for dest, want := range cases {
		if got := IsRequestDestination(dest); got != want {
			t.Errorf("IsRequestDestination(%q) = %v", dest, got)
		}
	}
}

func TestErrorFrame(t *testing.T) {
	f := ErrorFrame("m", "b")
	if v, _ := f.Get(HdrMessage); v != "m" || string(f.Body) != "b" || f.Command != CmdError {
		t.Fatalf("%+v", f)
	}
	if v, _ := f.Get(HdrContentType); v != "text/plain" {
		t.Fatalf("content-type %q", v)
	}
	f = ErrorFrame("m", "")
	if f.Body != nil || len(f.Headers) != 1 {
		t.Fatalf("no body: %+v", f)
	}
}

func TestProtocolErrorText(t *testing.T) {
	if got := perr(TextMissingNUL).Error(); got != "stomp: Frame doesn't end with NULL byte" {
		t.Fatalf("%q", got)
	}
}
