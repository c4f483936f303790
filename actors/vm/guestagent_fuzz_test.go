package vm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// What a guest's agent answers is the guest's to choose: any bytes as the answer to any command
// leave a poller and guest info that encode, and never a panic; the info reported before is
// never changed in place.
func FuzzAgentAnswers(f *testing.F) {
	files, _ := filepath.Glob("testdata/qga/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), string(b))
	}
	f.Add(uint8(3), `{"return":{"zone":"CET","offset":-1e308}}`)
	f.Add(uint8(5), `{"return":[{"name":"sda1","total-bytes":-1,"used-bytes":1e30,"disk":[]}]}`)
	cmds := []string{qgaInfo, qgaHostName, qgaOSInfo, qgaTimezone, qgaUsers, qgaFSInfo, qgaVCPUs}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		now := time.Unix(1700000000, 0)
		before, info, _ := applyAgent(agentPoller{connected: true}, nil,
			[]agentAnswer{{Cmd: qgaInfo, Raw: `{"return":{"version":"7.2","supported_commands":[{"name":"guest-get-osinfo","enabled":true}]}}`}}, now)
		was, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		// The command the input answers, and every command answering it at once.
		answers := []agentAnswer{{Cmd: cmds[int(which)%len(cmds)], Raw: raw}}
		for _, c := range cmds {
			answers = append(answers, agentAnswer{Cmd: c, Raw: raw})
		}
		_, got, _ := applyAgent(before, info, answers, now)
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("the guest info after %q does not encode: %v", raw, err)
		}
		if still, _ := json.Marshal(info); string(still) != string(was) {
			t.Fatalf("the info reported before changed in place:\n%s\n%s", was, still)
		}
	})
}
