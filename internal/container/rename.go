package container

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
)

// Rename gives the container a new name; the old name is free at once.
func (s *Service) Rename(ctx context.Context, ref, newName string) error {
	newName = strings.TrimPrefix(newName, "/")
	if ref == "" || newName == "" {
		return fmt.Errorf("Neither old nor new names may be empty: %w", errdefs.ErrInvalidArgument)
	}
	if err := validateName(newName); err != nil {
		return err
	}
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	if c.name() == newName {
		return fmt.Errorf("Renaming a container with the same name as its current name: %w", errdefs.ErrInvalidArgument)
	}
	return s.store.rename(c, newName)
}

// rename moves c to newName in the index and persists it; the index is
// restored if the record cannot be saved.
func (st *store) rename(c *Container, newName string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if other, ok := st.names[newName]; ok {
		return fmt.Errorf("Error when allocating new name: Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.: %w", newName, other, errdefs.ErrConflict)
	}
	stateMu.Lock()
	oldName := c.Name
	c.Name = newName
	stateMu.Unlock()
	if err := st.save(c); err != nil {
		stateMu.Lock()
		c.Name = oldName
		stateMu.Unlock()
		return err
	}
	if st.names[oldName] == c.ID {
		delete(st.names, oldName)
	}
	st.names[newName] = c.ID
	return nil
}
