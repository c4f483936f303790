package verbs

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// MigrateVerbs are live migration's verbs: VM.migrate, VM.migrateCancel and
// VM.getMigrationStatus on the source, VM.migrationCreate on the destination. Hibernation
// (mode "file") and VM.migrateChangeParams are not implemented and answer 44.
func MigrateVerbs() []Verb {
	return []Verb{
		{Name: "VM.migrate", Run: toVM(migrateVM)},
		{Name: "VM.migrateCancel", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.MigrateCancel{Reply: r}, nil })},
		{Name: "VM.getMigrationStatus", Run: toVM(func(r *reply.Reply, _ *Call) (any, error) { return &vm.GetMigrationStatus{Reply: r}, nil })},
		{Name: "VM.migrationCreate", Run: migrationCreate},
	}
}

func migrateVM(r *reply.Reply, c *Call) (any, error) {
	p, err := c.Object("params")
	if err != nil {
		return nil, err
	}
	o := migrateParams(p)
	if mode := o.str("mode"); mode == "file" {
		return nil, vdsm.NotImplemented()
	}
	if method := o.str("method"); method != "" && method != "online" {
		return nil, vdsm.NotImplemented()
	}
	dst := o.str("dst")
	if dst == "" {
		return nil, missing(c.Method, "dst")
	}
	m := &vm.Migrate{Reply: r, Dst: dst, DstQemu: o.str("dstqemu"), ConsoleAddress: o.str("consoleAddress"),
		Tunneled: o.flag("tunneled"), AutoConverge: o.flag("autoConverge"), Compressed: o.flag("compressed"),
		AbortOnError: o.flag("abortOnError")}
	if bw := o.num("maxBandwidth"); bw > 0 {
		m.MaxBandwidth = uint64(bw)
	}
	if n := o.num("incomingLimit"); n > 0 {
		m.IncomingLimit = int(n)
	}
	return m, nil
}

func migrationCreate(c *Call) (any, error) {
	id, err := c.String("vmID")
	if err != nil {
		return nil, err
	}
	params, err := c.Object("params")
	if err != nil {
		return nil, err
	}
	return registry(c, &vm.MigrationCreate{Reply: c.Reply, VMID: id, Params: params})
}

// migrateParams reads the engine's migrate parameters the way VDSM does: booleans may come as
// JSON booleans or as "true"/"false" strings (conv.tobool), numbers as numbers or strings.
type migrateParams map[string]json.RawMessage

func (p migrateParams) str(k string) string {
	var s string
	if raw, ok := p[k]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func (p migrateParams) flag(k string) bool {
	raw, ok := p[k]
	if !ok {
		return false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	return strings.EqualFold(p.str(k), "true")
}

func (p migrateParams) num(k string) int64 {
	raw, ok := p[k]
	if !ok {
		return 0
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int64(f)
	}
	n, _ := strconv.ParseInt(p.str(k), 10, 64)
	return n
}
