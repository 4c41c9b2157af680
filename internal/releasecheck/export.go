package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// exportRevision writes the files of the committed revision rev of the git
// repository at repo into dst, which must not exist yet, and returns the
// revision's commit time. Only what git archive emits is written: uncommitted
// changes and untracked files never are. Symbolic links are skipped, as
// module zips cannot hold them.
func exportRevision(repo, rev, dst string) (time.Time, error) {
	out, err := exec.Command("git", "-C", repo, "log", "-1", "--format=%cI", rev).Output()
	if err != nil {
		return time.Time{}, fmt.Errorf("git log %s: %w%s", rev, err, stderrOf(err))
	}
	when, err := time.Parse(time.RFC3339, strings.TrimSpace(string(out)))
	if err != nil {
		return time.Time{}, fmt.Errorf("commit time of %s: %w", rev, err)
	}

	if err := os.Mkdir(dst, 0o755); err != nil {
		return time.Time{}, err
	}
	cmd := exec.Command("git", "-C", repo, "archive", "--format=tar", rev)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return time.Time{}, err
	}
	if err := cmd.Start(); err != nil {
		return time.Time{}, fmt.Errorf("git archive: %w", err)
	}
	extractErr := extractTar(stdout, dst)
	// Drain what is left so that git can exit even after an extract error.
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		return time.Time{}, fmt.Errorf("git archive %s: %w: %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	if extractErr != nil {
		return time.Time{}, fmt.Errorf("extracting git archive %s: %w", rev, extractErr)
	}
	return when, nil
}

// extractTar writes the directories and regular files of the tar stream r
// under dst. It fails on a name that would land outside dst.
func extractTar(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(h.Name, "/")
		switch h.Typeflag {
		case tar.TypeXGlobalHeader, tar.TypeSymlink:
			continue
		case tar.TypeDir, tar.TypeReg:
		default:
			return fmt.Errorf("%s: unexpected tar entry type %q", h.Name, h.Typeflag)
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("%s: path outside the export", h.Name)
		}
		path := filepath.Join(dst, filepath.FromSlash(name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeFile(path, tr, os.FileMode(h.Mode).Perm()|0o200); err != nil {
			return err
		}
	}
}

func writeFile(path string, r io.Reader, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stderrOf returns the standard error that an *exec.ExitError captured, as
// ": text", or "" when there is none.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}
