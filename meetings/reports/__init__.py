"""Statistics and reports (thống kê, báo cáo): attendance, speakers and votes per meeting, member, unit,
meeting kind and period, as tables, SVG charts, XLSX and PDF. Read-only: nothing here writes."""
