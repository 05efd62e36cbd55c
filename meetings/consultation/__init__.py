"""Written consultation (lấy ý kiến bằng văn bản): between meetings the office asks members for their
opinion on a draft, with a deadline; members answer (and may change their answer) until then; the result
sheet says who answered what and who did not, in words as a vote's result is."""
