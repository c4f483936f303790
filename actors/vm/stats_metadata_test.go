package vm

import (
	"reflect"
	"testing"
)

func TestMetadataXML(t *testing.T) {
	tests := []struct {
		name string
		m    Metadata
		want string
	}{
		{"empty", Metadata{}, `<vm></vm>`},
		{"running", Metadata{StartTime: 1704067200000, DestroyOnReboot: true},
			`<vm><startTime>1704067200000</startTime><destroyOnReboot>true</destroyOnReboot></vm>`},
		{"down", Metadata{StartTime: 1, Exit: &Exit{Code: 1, Reason: 2, Message: `a <b> & "c"`}},
			`<vm><startTime>1</startTime><exitCode>1</exitCode><exitReason>2</exitReason>` +
				`<exitMessage>a &lt;b&gt; &amp; &#34;c&#34;</exitMessage></vm>`},
		{"exit code 0 is written", Metadata{Exit: &Exit{Reason: 6, Message: "m"}},
			`<vm><exitCode>0</exitCode><exitReason>6</exitReason><exitMessage>m</exitMessage></vm>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MetadataXML(tt.m)
			if got != tt.want {
				t.Errorf("MetadataXML:\n got %s\nwant %s", got, tt.want)
			}
			back, err := ParseMetadata(got)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.m) {
				t.Errorf("round trip: %+v, want %+v", back, tt.m)
			}
		})
	}
}

func TestParseMetadata(t *testing.T) {
	tests := []struct {
		name, xml string
		want      Metadata
	}{
		// What libvirt's GetMetadata returns: the element without its namespace, reindented.
		{"from GetMetadata", "<vm>\n  <startTime>1704067200000</startTime>\n  <destroyOnReboot>True</destroyOnReboot>\n" +
			"  <exitCode>0</exitCode>\n  <exitReason>6</exitReason>\n  <exitMessage>Admin shut down from the engine</exitMessage>\n</vm>",
			Metadata{StartTime: 1704067200000, DestroyOnReboot: true, Exit: &Exit{Reason: 6, Message: "Admin shut down from the engine"}}},
		{"namespaced", `<h:vm xmlns:h="https://github.com/hostagent/hostagent/1.0"><h:startTime> 5 </h:startTime><h:destroyOnReboot>false</h:destroyOnReboot></h:vm>`,
			Metadata{StartTime: 5}},
		{"exit without code", `<vm><exitReason>2</exitReason></vm>`, Metadata{Exit: &Exit{Reason: 2}}},
		{"unknown elements are ignored", `<vm><future>x</future></vm>`, Metadata{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMetadata(tt.xml)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMetadata = %+v (exit %+v), want %+v (exit %+v)", got, got.Exit, tt.want, tt.want.Exit)
			}
		})
	}
	for _, bad := range []string{`<vm>`, `<other/>`, `<vm><startTime>x</startTime></vm>`, `<vm><exitReason>6</exitReason><exitCode>x</exitCode></vm>`} {
		if _, err := ParseMetadata(bad); err == nil {
			t.Errorf("ParseMetadata(%s): no error", bad)
		}
	}
}

func TestParseBool(t *testing.T) {
	for s, want := range map[string]bool{"true": true, "True": true, " TRUE ": true, "1": true, "yes": true,
		"false": false, "False": false, "0": false, "": false, "maybe": false} {
		if got := parseBool(s); got != want {
			t.Errorf("parseBool(%q) = %v", s, got)
		}
	}
}
