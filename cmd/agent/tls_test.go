package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/client"
)

type pki struct {
	dir                string
	caFile             string
	serverCert, server string
	clientCert, client string
	rogueCert, rogue   string
}

func issue(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	kder, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, key, certFile, keyFile
}

// newPKI makes a CA, a server certificate for 127.0.0.1, a client certificate from the CA, and a
// client certificate from another CA.
func newPKI(t *testing.T) pki {
	dir := t.TempDir()
	serial := int64(1)
	tmpl := func(cn string, ca bool) *x509.Certificate {
		serial++
		c := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: ca}
		if !ca {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
			c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			c.DNSNames = []string{"localhost"}
		}
		return c
	}
	var p pki
	p.dir = dir
	ca, caKey, caFile, _ := issue(t, dir, "ca", tmpl("test CA", true), nil, nil)
	p.caFile = caFile
	_, _, p.serverCert, p.server = issue(t, dir, "server", tmpl("127.0.0.1", false), ca, caKey)
	_, _, p.clientCert, p.client = issue(t, dir, "client", tmpl("engine", false), ca, caKey)
	rogueCA, rogueKey, _, _ := issue(t, dir, "rogue-ca", tmpl("rogue CA", true), nil, nil)
	_, _, p.rogueCert, p.rogue = issue(t, dir, "rogue", tmpl("rogue", false), rogueCA, rogueKey)
	return p
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	srv, err := agent.ServerTLS(p.serverCert, p.server, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	ta := startAgent(t, func(c *agentConfig) { c.TLS = srv })

	good, err := client.TLSConfig(p.clientCert, p.client, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{Addr: ta.addr, TLS: good, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("a client with a good certificate: %v", err)
	}
	if res, err := c.Call("Host.ping2", nil); err != nil || string(res) != "true" {
		t.Fatalf("ping over TLS: %s %v", res, err)
	}
	c.Close()

	pool := good.RootCAs
	refused := func(name string, cfg *tls.Config) {
		t.Helper()
		conn, err := tls.Dial("tcp", ta.addr, cfg)
		if err == nil {
			// TLS 1.3 reports a refused client certificate on the first read.
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			conn.Write([]byte("CONNECT\naccept-version:1.2\n\n\x00"))
			_, err = conn.Read(make([]byte, 1))
			conn.Close()
		}
		if err == nil {
			t.Errorf("%s: connection accepted", name)
		}
	}
	refused("no client certificate", &tls.Config{RootCAs: pool})
	rogue, err := tls.LoadX509KeyPair(p.rogueCert, p.rogue)
	if err != nil {
		t.Fatal(err)
	}
	refused("a certificate from another CA", &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{rogue}})
	cert, _ := tls.LoadX509KeyPair(p.clientCert, p.client)
	refused("TLS 1.1", &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS11})

	// agent call speaks TLS with --cert/--key/--ca.
	host, port, _ := net.SplitHostPort(ta.addr)
	var out, errb bytes.Buffer
	code := call([]string{"--host", host, "--port", port, "--cert", p.clientCert, "--key", p.client, "--ca", p.caFile, "Host.ping2"}, strings.NewReader(""), &out, &errb)
	if code != 0 || out.String() != "true\n" {
		t.Fatalf("agent call over TLS: %d %q %q", code, out.String(), errb.String())
	}
}
