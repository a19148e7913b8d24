package live

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// knownCodes are the error codes a frame may be refused with.
var knownCodes = map[ErrorCode]bool{ErrBadFrame: true, ErrForbidden: true, ErrRateLimited: true, ErrInvalid: true,
	ErrMuted: true, ErrRemoved: true, ErrClosed: true, ErrUnavailable: true, ErrSlow: true, ErrShutdown: true}

// A raw client frame goes through the same decoding as in readLoop and then
// parseCommand, which hands tool commands to the tool registry. Whatever
// the bytes, nothing panics; a frame is either accepted with a payload that
// encodes to JSON, or refused with one of the protocol's error codes.
func FuzzFrameDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"chat","key":"k1","text":"hello"}`,
		`{"type":"chat","text":"   "}`,
		`{"type":"hand","raised":true}`,
		`{"type":"hand"}`,
		`{"type":"hand.clear","member":"m1"}`,
		`{"type":"agenda","item":-1}`,
		`{"type":"timer","seconds":99999999}`,
		`{"type":"announce","text":"<b>x</b>"}`,
		`{"type":"mute","muted":false}`,
		`{"type":"poll.create","question":"Q?","options":["a","b"],"multiple":true}`,
		`{"type":"poll.create","question":"Q?","options":["a"," "]}`,
		`{"type":"vote","poll":"p1","choices":[0,99,-1]}`,
		`{"type":"room.open"}`,
		`{"type":"react","reaction":"thanks"}`,
		`{"type":"ping"}`,
		`{"type":{"$ne":null}}`,
		`{"type":"chat","text":"\ud800"}`,
		`[]`, `null`, `"chat"`, `{}`,
	} {
		f.Add([]byte(s))
	}
	// Every registered tool command, with and without fields.
	for typ := range tools {
		f.Add([]byte(`{"type":"` + typ + `"}`))
		f.Add([]byte(`{"type":"` + typ + `","key":"k","text":"x","id":"1","board":"b","note":"n","group":1,"color":"yellow","x":1,"y":-1}`))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := inFrame{raw: data}
		if err := json.Unmarshal(data, &fr); err != nil || fr.Type == "" {
			return // answered with bad_frame by readLoop
		}
		payload, code := parseCommand(&fr)
		if code != "" {
			if !knownCodes[code] {
				t.Fatalf("frame %q refused with unknown code %q", data, code)
			}
			var ef struct {
				Type string    `json:"type"`
				Code ErrorCode `json:"code"`
			}
			if err := json.Unmarshal(errorFrame(code, fr.Key), &ef); err != nil || ef.Type != "error" || ef.Code != code {
				t.Fatalf("error frame for %q does not decode: %v", data, err)
			}
			return
		}
		if payload == nil {
			t.Fatalf("frame %q accepted without a payload", data)
		}
		if _, err := json.Marshal(payload); err != nil {
			t.Fatalf("payload of %q does not encode: %v", data, err)
		}
	})
}

// Chat text rendered by the Markdown-lite renderer yields only the markup
// the renderer itself writes: a, strong, em and br, and links only to
// http(s) addresses.
func FuzzRenderLite(f *testing.F) {
	for _, s := range []string{
		"**bold** and *em* and _em_",
		"[label](https://example.org/a?b=c&d=e)",
		"see https://example.org/x.",
		"[x](javascript:alert(1))",
		`<img src=x onerror=alert(1)>`,
		`[a"onmouseover="x](https://e.org/"onmouseover=")`,
		"\x00\x001\x00 [y](https://a.b) \x000\x00",
		"**[x](https://a.b)**",
		"_https://a.b/_x_",
		"line\nbreak",
	} {
		f.Add(s)
	}
	allowed := map[string]bool{"a": true, "strong": true, "em": true, "br": true}
	f.Fuzz(func(t *testing.T, text string) {
		out := RenderLite(text)
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			if !allowed[tok.Data] {
				t.Fatalf("RenderLite(%q) made a <%s> element:\n%s", text, tok.Data, out)
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "href":
					if !strings.HasPrefix(a.Val, "http://") && !strings.HasPrefix(a.Val, "https://") {
						t.Fatalf("RenderLite(%q) links to %q", text, a.Val)
					}
				case "rel", "target":
				default:
					t.Fatalf("RenderLite(%q) made a %s attribute:\n%s", text, a.Key, out)
				}
			}
		}
	})
}
