// Fills in the result count and the total price of the books found.
document.addEventListener('DOMContentLoaded', () => {
  const count = document.getElementById('result-count');
  if (!count) return;
  const items = document.querySelectorAll('#results li');
  const total = [...items].reduce((sum, item) => sum + Number(item.dataset.price), 0);
  count.textContent = items.length === 0 ? 'No books found.' : `${items.length} book${items.length === 1 ? '' : 's'} found, €${total} in all.`;
});
