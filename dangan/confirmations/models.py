"""Sign-offs a filed piece needs before it counts (issue 27 §6) are steps of the one
approval engine: circulation.ApprovalStep rows bound to the document (its `sign_offs`), run
by dangan.circulation.approvals through dangan.confirmations.approval.ConfirmationSubject.
Their own table (Confirmation) was moved there by circulation 0010 and dropped by
confirmations 0003."""
