package reports

import (
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// widthCacheCells bounds tablewriter's cache of string widths, which
// starts at 8,192 entries (2 MB, a tenth of a run's memory): reports draw
// a few tables of a few hundred cells.
const widthCacheCells = 512

func init() { twwidth.SetCacheCapacity(widthCacheCells) }

// Table writes an aligned table with a header row, every column left
// aligned: for the lists commands print (profiles, plans).
func Table(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}
