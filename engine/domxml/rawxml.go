package domxml

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// rawWriter writes tokens read with RawToken back with the prefixes they were read with.
// xml.Encoder cannot: it takes a raw token's prefix for a namespace URL and declares it anew
// (<o:mac> becomes <mac xmlns="o">), which moves prefixed names into another namespace and can
// leave one attribute twice in an element. Like the Encoder it writes empty elements as a start
// and an end tag, refuses end tags that do not match and elements left open, and escapes what
// it writes.
type rawWriter struct {
	b    strings.Builder
	open []xml.Name
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func (w *rawWriter) escape(s string) {
	_ = xml.EscapeText(&w.b, []byte(s)) // a strings.Builder does not fail
}

func (w *rawWriter) token(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		w.open = append(w.open, t.Name)
		w.b.WriteString("<" + rawName(t.Name))
		for _, a := range t.Attr {
			w.b.WriteString(" " + rawName(a.Name) + `="`)
			w.escape(a.Value)
			w.b.WriteString(`"`)
		}
		w.b.WriteString(">")
	case xml.EndElement:
		if len(w.open) == 0 || w.open[len(w.open)-1] != t.Name {
			return fmt.Errorf("end tag </%s> does not match", rawName(t.Name))
		}
		w.open = w.open[:len(w.open)-1]
		w.b.WriteString("</" + rawName(t.Name) + ">")
	case xml.CharData:
		// EscapeText writes a newline as &#xA;; in text, as the Encoder does, it stays one.
		var e strings.Builder
		_ = xml.EscapeText(&e, t)
		w.b.WriteString(strings.ReplaceAll(e.String(), "&#xA;", "\n"))
	case xml.Comment:
		if strings.Contains(string(t), "--") || strings.HasSuffix(string(t), "-") {
			return fmt.Errorf("comment %q cannot be written", t)
		}
		w.b.WriteString("<!--" + string(t) + "-->")
	case xml.ProcInst:
		if strings.EqualFold(t.Target, "xml") || strings.Contains(string(t.Inst), "?>") {
			return fmt.Errorf("processing instruction %q inside an element", t.Target)
		}
		w.b.WriteString("<?" + t.Target)
		if len(t.Inst) > 0 {
			w.b.WriteString(" " + string(t.Inst))
		}
		w.b.WriteString("?>")
	case xml.Directive:
		return fmt.Errorf("directive <!%s> inside an element", t)
	}
	return nil
}

// text is what was written, once every element written is closed.
func (w *rawWriter) text() (string, error) {
	if len(w.open) > 0 {
		return "", fmt.Errorf("<%s> is not closed", rawName(w.open[len(w.open)-1]))
	}
	return w.b.String(), nil
}
