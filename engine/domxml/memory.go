package domxml

// Memory hotplug: the <memory model='dimm'> device of VM.hotplugMemory and VM.hotunplugMemory
// when the engine sends the device as parameters (MemoryUtils.createVmMemoryDeviceMap), built as
// VDSM's vmdevices.core.memory_xml builds it; and the VM's guaranteed memory in its metadata.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/pyrepr"
)

// MemoryDeviceXML is the dimm device of the engine's memory parameters: size in MiB (sent to
// libvirt in KiB), the NUMA node, and the alias and address when given. Its errors read as the
// Python exceptions VDSM meets on the same input (a missing key is a KeyError: "'size'").
func MemoryDeviceXML(mem map[string]json.RawMessage) (string, error) {
	rawSize, ok := mem["size"]
	if !ok {
		return "", fmt.Errorf("'size'")
	}
	size, err := PyInt(rawSize)
	if err != nil {
		return "", err
	}
	rawNode, ok := mem["node"]
	if !ok {
		return "", fmt.Errorf("'node'")
	}
	if size > math.MaxInt64/1024 || size < math.MinInt64/1024 {
		// Python's int has no bound; libvirt would refuse such a size in its own words.
		return "", fmt.Errorf("memory size %d MiB is out of range", size)
	}
	var b strings.Builder
	b.WriteString("<memory model='dimm'><target><size unit='KiB'>")
	b.WriteString(strconv.FormatInt(size*1024, 10))
	b.WriteString("</size><node>")
	_ = xml.EscapeText(&b, []byte(pyStr(rawNode))) // a strings.Builder does not fail
	b.WriteString("</node></target>")
	if raw, ok := mem["alias"]; ok && !isNull(raw) {
		b.WriteString("<alias name='" + escape(pyStr(raw)) + "'/>")
	}
	if raw, ok := mem["address"]; ok {
		var addr map[string]json.RawMessage
		if json.Unmarshal(raw, &addr) == nil && len(addr) > 0 {
			keys := make([]string, 0, len(addr))
			for k := range addr {
				if !xmlName(k) {
					return "", fmt.Errorf("memory address attribute %s is not an XML name", pyrepr.Repr(k))
				}
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteString("<address")
			for _, k := range keys {
				b.WriteString(" " + k + "='" + escape(pyStr(addr[k])) + "'")
			}
			b.WriteString("/>")
		}
	}
	b.WriteString("</memory>")
	return b.String(), nil
}

// MemoryAlias is the alias of a memory device's XML, "" when it has none or cannot be read.
func MemoryAlias(deviceXML string) string {
	var d struct {
		Alias struct {
			Name string `xml:"name,attr"`
		} `xml:"alias"`
	}
	if xml.Unmarshal([]byte(deviceXML), &d) != nil {
		return ""
	}
	return d.Alias.Name
}

// SetMinGuaranteedMemory is the domain's ovirt-vm:vm element with minGuaranteedMemoryMb set to
// mb, as VDSM's _update_mem_guaranteed_size writes it after a memory hotplug or unplug.
func SetMinGuaranteedMemory(domainXML string, mb int64) (string, error) {
	vm, err := ovirtVM(domainXML)
	if err != nil {
		return "", err
	}
	v := node{XMLName: xml.Name{Local: "minGuaranteedMemoryMb"}, Text: strconv.FormatInt(mb, 10),
		Attrs: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "int"}}}
	for i, c := range vm.Children {
		if c.XMLName.Local == "minGuaranteedMemoryMb" {
			vm.Children[i] = v
			return render(vm), nil
		}
	}
	vm.Children = append(vm.Children, v)
	return render(vm), nil
}

// PyInt is Python's int() of a JSON value: an integer, or a string of one (spaces around
// allowed), a float truncated, a boolean as 0 or 1; anything else fails with Python's words.
func PyInt(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid literal for int() with base 10: %s", pyrepr.Repr(s))
		}
		return i, nil
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return i, nil
		}
		return int64(math.Trunc(f)), nil
	}
	switch string(raw) {
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyType(raw))
}

// pyStr is Python's str() of a JSON scalar: a string as it is, anything else as JSON writes it
// (Python writes True, False and None, which an engine never sends here).
func pyStr(raw json.RawMessage) string {
	var s string
	if !isNull(raw) && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func pyType(raw json.RawMessage) string {
	switch {
	case bytes.HasPrefix(raw, []byte("[")):
		return "list"
	case bytes.HasPrefix(raw, []byte("{")):
		return "dict"
	}
	return "str"
}

// xmlName: name can be written as an attribute name as it is (the engine sends libvirt's
// address attributes: type, slot, base, ...).
func xmlName(name string) bool {
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return name != ""
}
