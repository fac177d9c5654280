package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestClearRuntimeEnv runs itself again with GODEBUG=rsa1024min=0, as
// a command line could set it: a 512-bit RSA signature must verify
// before clearRuntimeEnv (so that the test can fail) and not after, and
// the environment it returns for the real init must still hold GODEBUG.
func TestClearRuntimeEnv(t *testing.T) {
	if os.Getenv("VERINIT_TEST_CLEAR_ENV") == "1" {
		clearRuntimeEnvChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClearRuntimeEnv$")
	cmd.Env = append(os.Environ(), "VERINIT_TEST_CLEAR_ENV=1", "GODEBUG=rsa1024min=0", "GOGC=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{
		"before: verified",
		"after: crypto/rsa: 512-bit keys are insecure",
		"cleared: [GODEBUG=rsa1024min=0 GOGC=off]",
		"kept for the real init: GODEBUG=rsa1024min=0 GOGC=off",
		"now: GODEBUG= GOGC=",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

func clearRuntimeEnvChild() {
	key, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		fmt.Println("generate:", err)
		return
	}
	sum := sha256.Sum256([]byte("root hash"))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		fmt.Println("sign:", err)
		return
	}
	verify := func() string {
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			return err.Error()
		}
		return "verified"
	}
	fmt.Println("before:", verify())
	orig, cleared := clearRuntimeEnv()
	fmt.Println("after:", verify())
	fmt.Println("cleared:", cleared)
	var kept []string
	for _, kv := range orig {
		if strings.HasPrefix(kv, "GODEBUG=") || strings.HasPrefix(kv, "GOGC=") {
			kept = append(kept, kv)
		}
	}
	slices.Sort(kept)
	fmt.Println("kept for the real init:", strings.Join(kept, " "))
	fmt.Printf("now: GODEBUG=%s GOGC=%s\n", os.Getenv("GODEBUG"), os.Getenv("GOGC"))
}
