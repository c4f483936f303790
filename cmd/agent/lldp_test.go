package main

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

// The engine asks Host.getLldp with filter {devices: [...]} (JsonRpcVdsServer.getLldp) and reads
// the answer as the info map; without devices every NIC of the capabilities is answered.
func TestHostGetLldp(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	res, err := c.Call("Host.getLldp", map[string]any{"filter": map[string]any{"devices": []string{"lo"}}})
	if err != nil || string(res) != `{"lo":{"enabled":false,"tlvs":[]}}` {
		t.Fatalf("Host.getLldp for lo: %s %v", res, err)
	}
	res, err = c.Call("Host.getLldp", map[string]any{"filter": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(res, &all); err != nil {
		t.Fatal(err)
	}
	capsRes, err := c.Call("Host.getCapabilities", nil)
	if err != nil {
		t.Fatal(err)
	}
	var caps struct {
		NICs map[string]json.RawMessage `json:"nics"`
	}
	if err := json.Unmarshal(capsRes, &caps); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(all)), slices.Sorted(maps.Keys(caps.NICs)); !slices.Equal(got, want) {
		t.Fatalf("Host.getLldp without devices: %v, caps' nics %v", got, want)
	}
	if e := rpcError(t, c, "Host.getLldp", map[string]any{"filter": map[string]any{"devices": []string{"no-such-nic0"}}}); e.Code != -32603 {
		t.Fatalf("an unknown device: %+v", e)
	}
	if e := rpcError(t, c, "Host.getLldp", map[string]any{}); e.Code != -32603 {
		t.Fatalf("no filter: %+v", e)
	}
}
