package volume

import (
	"context"
	"os"
)

// reconcile repairs what a crash between a record write and a directory
// change left behind: a recorded volume gets its directory back, and a
// directory without a record (a create or remove cut short) is removed.
func (s *Service) reconcile(ctx context.Context) error {
	vols, err := s.All(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, v := range vols {
		known[v.Name] = true
		if _, err := os.Stat(s.driver.Path(v.Name)); os.IsNotExist(err) {
			if err := s.driver.Create(ctx, v.Name, v.Options); err != nil {
				return err
			}
		}
	}
	ents, err := os.ReadDir(s.driver.Root())
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() && !known[e.Name()] && nameRe.MatchString(e.Name()) {
			_ = s.driver.Remove(ctx, e.Name())
		}
	}
	return nil
}
