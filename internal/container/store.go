package container

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
)

const bucket = "containers"

// store is the in-memory index of containers backed by the metadata DB.
type store struct {
	db    *metadata.DB
	mu    sync.RWMutex
	byID  map[string]*Container
	names map[string]string // name -> id
}

func newStore(db *metadata.DB) (*store, error) {
	s := &store{db: db, byID: map[string]*Container{}, names: map[string]string{}}
	err := db.List(bucket, func(key string, raw []byte) error {
		c := &Container{}
		if err := json.Unmarshal(raw, c); err != nil {
			return fmt.Errorf("container %s: %w", key, err)
		}
		c.init()
		s.byID[c.ID] = c
		s.names[c.Name] = c.ID
		return nil
	})
	return s, err
}

// save persists c's record, unless it was deleted.
func (s *store) save(c *Container) error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	if c.deleted {
		return nil
	}
	stateMu.Lock()
	data, err := json.Marshal(c)
	stateMu.Unlock()
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *metadata.Tx) error { return tx.PutRaw(bucket, c.ID, data) })
}

// deleteRecord deletes c's record for good: later saves are dropped.
func (s *store) deleteRecord(c *Container) error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	if err := s.db.Delete(bucket, c.ID); err != nil {
		return err
	}
	c.deleted = true
	return nil
}

// reserve claims name for id; errdefs.ErrConflict when taken.
func (s *store) add(c *Container) error {
	s.mu.Lock()
	if other, ok := s.names[c.Name]; ok {
		s.mu.Unlock()
		return fmt.Errorf("Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.: %w", c.Name, other, errdefs.ErrConflict)
	}
	s.byID[c.ID] = c
	s.names[c.Name] = c.ID
	s.mu.Unlock()
	// The record is committed (a disk sync) without holding the index:
	// lookups and other creates go on meanwhile.
	if err := s.save(c); err != nil {
		s.forget(c)
		return err
	}
	return nil
}

func (s *store) remove(c *Container) error {
	if err := s.deleteRecord(c); err != nil {
		return err
	}
	s.forget(c)
	return nil
}

// forget drops c from the in-memory indexes only: lookups fail and its name
// is free. The caller deletes the record (s.db.Delete) right after.
func (s *store) forget(c *Container) {
	s.mu.Lock()
	delete(s.byID, c.ID)
	if s.names[c.Name] == c.ID {
		delete(s.names, c.Name)
	}
	s.mu.Unlock()
}

// get resolves a full ID, a name (with or without "/") or an unambiguous ID
// prefix, in that order, like Docker.
func (s *store) get(ref string) (*Container, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ref == "" {
		return nil, fmt.Errorf("No such container: %s: %w", ref, errdefs.ErrNotFound)
	}
	if c, ok := s.byID[ref]; ok {
		return c, nil
	}
	if id, ok := s.names[strings.TrimPrefix(ref, "/")]; ok {
		return s.byID[id], nil
	}
	var found *Container
	for id, c := range s.byID {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, fmt.Errorf("multiple IDs found with provided prefix: %s: %w", ref, errdefs.ErrInvalidArgument)
			}
			found = c
		}
	}
	if found == nil {
		return nil, fmt.Errorf("No such container: %s: %w", ref, errdefs.ErrNotFound)
	}
	return found, nil
}

// all returns every container, newest first.
func (s *store) all() []*Container {
	s.mu.RLock()
	out := make([]*Container, 0, len(s.byID))
	for _, c := range s.byID {
		out = append(out, c)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

func (s *store) nameTaken(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.names[name]
	return ok
}
