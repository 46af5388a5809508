/*
Copyright 2026 The Wavegate Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/internal/audit/invariants"
)

// StageResponseComplete is the only stage the reader returns: the request
// is complete and its response code known.
const StageResponseComplete = "ResponseComplete"

// InputError is bad input: a file that cannot be read, or a line that is
// not an audit event. Line is 0 when the whole file is at fault.
type InputError struct {
	File string
	Line int
	Err  error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// line is one audit.k8s.io/v1 Event as the API server writes it.
type line struct {
	Kind             string    `json:"kind"`
	APIVersion       string    `json:"apiVersion"`
	AuditID          string    `json:"auditID"`
	Stage            string    `json:"stage"`
	RequestURI       string    `json:"requestURI"`
	Verb             string    `json:"verb"`
	User             userInfo  `json:"user"`
	ImpersonatedUser *userInfo `json:"impersonatedUser"`
	ObjectRef        *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
		APIVersion  string `json:"apiVersion"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject            rawRef            `json:"requestObject"`
	ResponseObject           rawRef            `json:"responseObject"`
	RequestReceivedTimestamp time.Time         `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time         `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations"`
}

// rawRef is a JSON value kept as a slice of the line, without a copy: a
// batch's lines live as long as its events.
type rawRef []byte

// UnmarshalJSON keeps data as it is.
func (r *rawRef) UnmarshalJSON(data []byte) error {
	*r = data
	return nil
}

type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// decodeLine reads one line of an audit log. It reports ok false for a
// line of another stage.
func decodeLine(data []byte, e *invariants.Event) (ok bool, err error) {
	var l line
	if err := json.Unmarshal(data, &l); err != nil {
		return false, fmt.Errorf("not a JSON audit event: %w", err)
	}
	if l.Stage == "" || (l.Kind != "" && l.Kind != "Event") {
		return false, errors.New("not an audit.k8s.io/v1 Event (no stage, or another kind)")
	}
	if l.Stage != StageResponseComplete {
		return false, nil
	}
	u := l.User
	if l.ImpersonatedUser != nil {
		u = *l.ImpersonatedUser
	}
	*e = invariants.Event{AuditID: l.AuditID, Received: l.RequestReceivedTimestamp, Completed: l.StageTimestamp,
		User: u.Username, Groups: u.Groups, Verb: l.Verb, RequestURI: l.RequestURI,
		RequestObject: json.RawMessage(l.RequestObject), ResponseObject: json.RawMessage(l.ResponseObject), Annotations: l.Annotations}
	if r := l.ObjectRef; r != nil {
		e.APIGroup, e.APIVersion, e.Resource, e.Subresource, e.Namespace, e.Name = r.APIGroup, r.APIVersion, r.Resource, r.Subresource, r.Namespace, r.Name
	}
	if l.ResponseStatus != nil {
		e.Code = l.ResponseStatus.Code
	}
	e.DryRun = invariants.DryRunURI(l.RequestURI)
	return true, nil
}

// errTruncated is a last line without its newline that is not an event:
// the end of a log being written.
var errTruncated = errors.New("truncated last line")

// Reader streams the events of several audit log files (plain, rotated or
// gzipped), file after file in the order of their first event, each in its
// own order. One goroutine reads lines; as many as there are CPUs decode
// them and parse their objects (invariants.Event.Prepare); Next hands the
// events out in the order of the files.
type Reader struct {
	files   []string
	workers int

	started bool
	cancel  chan struct{}
	wg      sync.WaitGroup
	ordered chan *batch
	cur     *batch
	i       int

	events    int64
	bytes     atomic.Int64
	truncated []string
}

// batch is a run of lines of one file, decoded by one worker.
type batch struct {
	path    string
	data    []byte
	lines   []rawLine
	readErr error // after the lines
	done    chan struct{}
	events  []invariants.Event
	errAt   int // index of the first line that failed, or -1
	err     error
}

func newBatch(path string) *batch {
	// Room for a full batch and one long line, so that it rarely grows.
	return &batch{path: path, done: make(chan struct{}), errAt: -1,
		data: make([]byte, 0, batchBytes+batchBytes/2), lines: make([]rawLine, 0, batchLines)}
}

type rawLine struct {
	start, end int
	n          int
	newline    bool
}

const (
	batchLines = 128
	batchBytes = 512 << 10
)

// Open orders the files by the time of their first event and returns a
// Reader of them. A file that cannot be read or does not start with an
// audit event is an *InputError.
func Open(paths []string) (*Reader, error) {
	type first struct {
		path string
		at   time.Time
	}
	var order []first
	for _, p := range paths {
		at, err := firstTime(p)
		if err != nil {
			return nil, err
		}
		order = append(order, first{p, at})
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].at.Before(order[j].at) })
	r := &Reader{workers: max(1, runtime.GOMAXPROCS(0))}
	for _, f := range order {
		r.files = append(r.files, f.path)
	}
	return r, nil
}

// Truncated lists, as "file:line", the last lines that were cut short (a
// log being written) and skipped.
func (r *Reader) Truncated() []string { return r.truncated }

// Files are the files in the order they are read.
func (r *Reader) Files() []string { return r.files }

// Progress reports how many events were returned and how many bytes
// (uncompressed) were read.
func (r *Reader) Progress() (events, bytes int64) { return r.events, r.bytes.Load() }

func (r *Reader) start() {
	r.started = true
	r.cancel = make(chan struct{})
	jobs := make(chan *batch, r.workers)
	r.ordered = make(chan *batch, 2*r.workers)
	for range r.workers {
		r.wg.Go(func() {
			for b := range jobs {
				b.decode()
			}
		})
	}
	r.wg.Go(func() {
		defer close(jobs)
		defer close(r.ordered)
		for _, path := range r.files {
			if !r.readFile(path, jobs) {
				return
			}
		}
	})
}

// send hands a batch to the consumer, in order, and to a worker; false
// when reading must stop.
func (r *Reader) send(b *batch, jobs chan<- *batch) bool {
	select {
	case r.ordered <- b:
	case <-r.cancel:
		return false
	}
	if len(b.lines) == 0 {
		close(b.done)
		return true
	}
	select {
	case jobs <- b:
		return true
	case <-r.cancel:
		return false
	}
}

// readFile cuts a file into batches; false when it must stop.
func (r *Reader) readFile(path string, jobs chan<- *batch) bool {
	fr, err := openFile(path)
	if err != nil {
		r.send(&batch{path: path, readErr: err, done: make(chan struct{}), errAt: -1}, jobs)
		return false
	}
	defer func() { _ = fr.close() }()
	b := newBatch(path)
	for {
		data, newline, err := fr.readLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				b.readErr = err
			}
			return r.send(b, jobs) && b.readErr == nil
		}
		r.bytes.Add(int64(len(data)))
		if newline {
			r.bytes.Add(1)
		}
		if !b.add(bytes.TrimSpace(data), fr.n, newline) {
			continue
		}
		if !r.send(b, jobs) {
			return false
		}
		b = newBatch(path)
	}
}

// add appends a line, and reports whether the batch is full.
func (b *batch) add(data []byte, n int, newline bool) bool {
	if len(data) == 0 {
		return false
	}
	start := len(b.data)
	b.data = append(b.data, data...)
	b.lines = append(b.lines, rawLine{start: start, end: len(b.data), n: n, newline: newline})
	return len(b.lines) >= batchLines || len(b.data) >= batchBytes
}

// decode turns a batch's lines into prepared events.
func (b *batch) decode() {
	defer close(b.done)
	b.events = make([]invariants.Event, 0, len(b.lines))
	for i, l := range b.lines {
		var e invariants.Event
		ok, err := decodeLine(b.data[l.start:l.end], &e)
		if err != nil {
			if !l.newline {
				err = errTruncated
			}
			b.errAt, b.err = i, err
			return
		}
		if !ok {
			continue
		}
		e.Source, e.Line = b.path, l.n
		e.Prepare()
		b.events = append(b.events, e)
	}
	b.data = nil
}

// Next returns the next completed request, or io.EOF after the last one.
func (r *Reader) Next() (invariants.Event, error) {
	if !r.started {
		r.start()
	}
	for {
		if r.cur != nil && r.i < len(r.cur.events) {
			e := r.cur.events[r.i]
			r.cur.events[r.i] = invariants.Event{}
			r.i++
			r.events++
			return e, nil
		}
		if r.cur != nil {
			if err := r.finish(r.cur); err != nil {
				return invariants.Event{}, err
			}
		}
		b, ok := <-r.ordered
		if !ok {
			r.cur = nil
			return invariants.Event{}, io.EOF
		}
		<-b.done
		r.cur, r.i = b, 0
	}
}

// finish reports what went wrong after a batch's events: a line that is
// not an event, a file that could not be read. A truncated last line is
// only noted.
func (r *Reader) finish(b *batch) error {
	r.cur = nil
	switch {
	case errors.Is(b.err, errTruncated):
		r.truncated = append(r.truncated, fmt.Sprintf("%s:%d", b.path, b.lines[b.errAt].n))
	case b.err != nil:
		return &InputError{File: b.path, Line: b.lines[b.errAt].n, Err: b.err}
	case b.readErr != nil:
		var in *InputError
		if errors.As(b.readErr, &in) {
			return in
		}
		return &InputError{File: b.path, Err: b.readErr}
	}
	return nil
}

// Close stops reading.
func (r *Reader) Close() error {
	if !r.started {
		return nil
	}
	select {
	case <-r.cancel:
	default:
		close(r.cancel)
	}
	go func() {
		for b := range r.ordered {
			_ = b
		}
	}()
	r.wg.Wait()
	return nil
}

// fileReader reads the lines of one file.
type fileReader struct {
	path  string
	f     *os.File
	gz    *gzip.Reader
	br    *bufio.Reader
	n     int   // line number
	bytes int64 // bytes read
	buf   []byte
}

func openFile(path string) (*fileReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	fr := &fileReader{path: path, f: f, br: bufio.NewReaderSize(f, 1<<20)}
	magic, err := fr.br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		if fr.gz, err = gzip.NewReader(fr.br); err != nil {
			_ = f.Close()
			return nil, &InputError{File: path, Err: fmt.Errorf("not a gzip file: %w", err)}
		}
		fr.br = bufio.NewReaderSize(fr.gz, 1<<20)
	}
	return fr, nil
}

func (fr *fileReader) close() error {
	if fr.gz != nil {
		_ = fr.gz.Close()
	}
	return fr.f.Close()
}

// readLine returns the next line without its newline; the slice is valid
// until the next call.
func (fr *fileReader) readLine() ([]byte, bool, error) {
	fr.buf = fr.buf[:0]
	for {
		chunk, err := fr.br.ReadSlice('\n')
		fr.buf = append(fr.buf, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			fr.bytes += int64(len(fr.buf))
			if len(fr.buf) == 0 {
				return nil, false, io.EOF
			}
			fr.n++
			return fr.buf, false, nil
		case err != nil:
			return nil, false, &InputError{File: fr.path, Line: fr.n + 1, Err: err}
		}
		fr.bytes += int64(len(fr.buf))
		fr.n++
		return fr.buf[:len(fr.buf)-1], true, nil
	}
}

// firstTime is the time of a file's first event, to order rotated files.
func firstTime(path string) (time.Time, error) {
	fr, err := openFile(path)
	if err != nil {
		return time.Time{}, err
	}
	defer func() { _ = fr.close() }()
	for {
		data, _, err := fr.readLine()
		if errors.Is(err, io.EOF) {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, err
		}
		if data = bytes.TrimSpace(data); len(data) == 0 {
			continue
		}
		var l struct {
			Stage    string    `json:"stage"`
			Received time.Time `json:"requestReceivedTimestamp"`
			Stamp    time.Time `json:"stageTimestamp"`
		}
		if err := json.Unmarshal(data, &l); err != nil || l.Stage == "" {
			if err == nil {
				err = errors.New("not an audit.k8s.io/v1 Event")
			}
			return time.Time{}, &InputError{File: path, Line: fr.n, Err: fmt.Errorf("not a JSON audit event: %w", err)}
		}
		if !l.Stamp.IsZero() {
			return l.Stamp, nil
		}
		return l.Received, nil
	}
}
