package wallet

import (
	"errors"
	"testing"
)

func FuzzParseKeyFile(f *testing.F) {
	good, err := encrypted(f, 1, "pw").Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"crypto":{"kdfparams":{"n":-1}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := ParseKeyFile(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptKeystore) {
				t.Fatalf("parse error %v is not ErrCorruptKeystore", err)
			}
			return
		}
		// Whatever parses must survive a write/read cycle unchanged.
		out, err := kf.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		kf2, err := ParseKeyFile(out)
		if err != nil {
			t.Fatalf("re-parse of accepted file failed: %v", err)
		}
		if *kf2 != *kf {
			t.Fatal("write/read cycle changed the key file")
		}
	})
}
