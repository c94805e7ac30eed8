"""One record per person: duplicate detection among customers and open prospects, and
reversible, maker-checker merges that show both records as one 360 view."""
