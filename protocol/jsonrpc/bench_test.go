package jsonrpc

import (
	"encoding/json"
	"testing"
)

// Typical engine requests, as they arrive in SEND bodies.
const (
	benchPing     = `{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"}`
	benchGetStats = `{"jsonrpc":"2.0","method":"VM.getStats","params":{"vmID":"5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f"},"id":"7c1e5d2a-9b3f-4e8d-a6c0-1f2e3d4c5b6a"}`
)

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"Host.ping2", benchPing},
		{"VM.getStats", benchGetStats},
		{"VM.getStats/batch-of-1", "[" + benchGetStats + "]"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				items, _ := Decode(body)
				if items[0].Request == nil {
					b.Fatal(items[0].Error)
				}
			}
		})
	}
}

// BenchmarkDecodeStdlib is the baseline the hand-rolled scan has to beat: encoding/json into a
// struct of raw fields, which is also wrong (it matches keys case-insensitively) and still has
// to unquote the method afterwards.
func BenchmarkDecodeStdlib(b *testing.B) {
	type envelope struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		Method  json.RawMessage `json:"method"`
		Params  json.RawMessage `json:"params"`
		ID      json.RawMessage `json:"id"`
	}
	for _, bc := range []struct{ name, body string }{
		{"Host.ping2", benchPing},
		{"VM.getStats", benchGetStats},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var e envelope
				if err := json.Unmarshal(body, &e); err != nil {
					b.Fatal(err)
				}
				var m string
				if err := json.Unmarshal(e.Method, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendResult(b *testing.B) {
	id := json.RawMessage(`"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"`)
	b.Run("true", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendResult(buf[:0], id, true)
		}
	})
	b.Run("map", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		result := map[string]any{"vmList": map[string]any{}}
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendResult(buf[:0], id, result)
		}
	})
}

func BenchmarkAppendError(b *testing.B) {
	id := json.RawMessage(`"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"`)
	msg := MethodNotFound("VM.frobnicate").Message
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendError(buf[:0], id, CodeMethodNotFound, msg)
	}
}

func BenchmarkNamedParams(b *testing.B) {
	raw := json.RawMessage(`{"vmID":"5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f"}`)
	order := []string{"vmID"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NamedParams(raw, order); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeInvalid(b *testing.B) {
	body := []byte(`{"jsonrpc":"1.0","method":"VM.getStats","params":{"vmID":"5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f"},"id":"7c1e5d2a"}`)
	b.ReportAllocs()
	for b.Loop() {
		items, _ := Decode(body)
		if items[0].Error == nil {
			b.Fatal("valid")
		}
	}
}

// BenchmarkNamedParamsEmpty is the params most requests carry (Host.ping2's {}): no map.
func BenchmarkNamedParamsEmpty(b *testing.B) {
	raw := json.RawMessage(`{}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NamedParams(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}
