// Package junit is the JUnit XML document CI systems read as test results
// (the Ant/Jenkins schema, as GitLab, Jenkins and GitHub's test reporters
// read it), shared by the reports that are written as JUnit.
package junit

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Suites is the document: its test suites.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one test suite.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []Property `xml:"properties>property,omitempty"`
	Cases      []Case     `xml:"testcase"`
}

// Property is a name and value a suite is run with.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one test case: passed, failed or skipped.
type Case struct {
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Failure `xml:"failure,omitempty"`
	Skipped   *Skipped `xml:"skipped,omitempty"`
	SystemOut *Output  `xml:"system-out,omitempty"`
}

// Failure says why a case failed.
type Failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"` // CDATA: the lines stay lines in the file
}

// Output is what a case printed.
type Output struct {
	Text string `xml:",cdata"`
}

// Skipped says why a case was skipped.
type Skipped struct {
	Message string `xml:"message,attr"`
}

// Write writes the document with its XML declaration, indented.
func Write(w io.Writer, doc Suites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Seconds renders a duration in seconds with millisecond precision, as
// the time attributes are written.
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// Text makes text storable in XML 1.0: invalid UTF-8 and the characters
// XML 1.0 forbids (control characters but tab, newline and carriage
// return; surrogates; U+FFFE and U+FFFF) are dropped. encoding/xml would
// write U+FFFD for them; dropping them reads better ("\x1b[31m" becomes
// "[31m").
func Text(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= utf8.MaxRune)
	}
	clean := true
	for _, r := range s { // invalid UTF-8 reads as U+FFFD, which is allowed: check validity apart
		if !ok(r) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if (r != utf8.RuneError || size > 1) && ok(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
